//! Households and weights as text (CSV, JSON, TOML). Parsing is pure: text in, values out;
//! errors name file, line and field and say how to fix them.
//!
//! Households CSV: `id,members,current,days_there`. `members` lists one member per `;`:
//! the age band (0, 1-3, 4-11, 12-17, 18-64, 65+), optionally `:` and flags separated by
//! `,` — Art. 24 letters (c, e, f, h, i, j, k; a, b, d, g follow from the make-up) and
//! `school` for a child enrolled in school. Example: `18-64:e;4-11:school;0`.

use spreiding_core::{CoreError, Located};

use crate::model::{AgeBand, Household, Member, Weights};

fn member(spec: &str) -> Result<Member, CoreError> {
    let (age, flags) = spec.split_once(':').unwrap_or((spec, ""));
    let age: AgeBand = age.parse()?;
    let mut m = Member { age, needs: Vec::new(), in_school: false };
    for f in flags.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        if f.eq_ignore_ascii_case("school") {
            m.in_school = true;
        } else {
            let g = f.parse().map_err(|_| {
                CoreError::invalid(format!("'{f}' is neither an Art. 24 letter (a–k) nor 'school' in member '{spec}'"))
            })?;
            if !m.needs.contains(&g) {
                m.needs.push(g);
            }
        }
    }
    Ok(m)
}

fn member_text(m: &Member) -> String {
    let mut flags: Vec<String> = m.needs.iter().map(|g| g.letter().to_string()).collect();
    if m.in_school {
        flags.push("school".into());
    }
    if flags.is_empty() { m.age.code().to_string() } else { format!("{}:{}", m.age.code(), flags.join(",")) }
}

/// Parse households from CSV.
pub fn parse_households_csv(source: &str, text: &str) -> Result<Vec<Household>, CoreError> {
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| CoreError::invalid(e.to_string()).at(Located::new(source, 1, "")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let col = |n: &str| headers.iter().position(|h| h == n);
    let (Some(ci), Some(cm)) = (col("id"), col("members")) else {
        return Err(CoreError::invalid("the header needs id,members (current,days_there optional)")
            .at(Located::new(source, 1, "")));
    };
    let (cc, cd) = (col("current"), col("days_there"));
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| CoreError::invalid(e.to_string()).at(Located::new(source, line, "")))?;
        let at = |f: &str| Located::new(source, line, f);
        let id = rec.get(ci).unwrap_or("").to_string();
        if id.is_empty() {
            return Err(CoreError::invalid("empty: every household needs a pseudonymous id").at(at("id")));
        }
        if !seen.insert(id.clone()) {
            return Err(CoreError::invalid(format!("duplicate household id '{id}'")).at(at("id")));
        }
        let members = rec
            .get(cm)
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(member)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.at(at("members")))?;
        if members.is_empty() {
            return Err(CoreError::invalid("no members: write e.g. 18-64;4-11:school").at(at("members")));
        }
        let current = cc.and_then(|c| rec.get(c)).map(str::to_string).filter(|s| !s.is_empty());
        let days_there = match cd.and_then(|c| rec.get(c)).filter(|s| !s.is_empty()) {
            None => 0,
            Some(d) => d
                .parse()
                .map_err(|_| CoreError::invalid(format!("'{d}' is not a whole number of days")).at(at("days_there")))?,
        };
        out.push(Household { id, members, current, days_there });
    }
    Ok(out)
}

/// Parse households from JSON (an array of households).
pub fn parse_households_json(source: &str, text: &str) -> Result<Vec<Household>, CoreError> {
    serde_json::from_str(text).map_err(|e| {
        CoreError::invalid(format!("{e}: expected an array of households")).at(Located::new(source, e.line(), ""))
    })
}

/// Households as CSV.
pub fn households_to_csv(hs: &[Household]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["id", "members", "current", "days_there"]).expect("in memory");
    for h in hs {
        let members = h.members.iter().map(member_text).collect::<Vec<_>>().join(";");
        w.write_record([h.id.as_str(), &members, h.current.as_deref().unwrap_or(""), &h.days_there.to_string()])
            .expect("in memory");
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("utf8")
}

/// Weights from TOML (any subset of the fields of [`Weights`]; the rest default).
pub fn parse_weights(source: &str, text: &str) -> Result<Weights, CoreError> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| text[..s.start].lines().count().max(1)).unwrap_or(0);
        CoreError::invalid(e.message().to_string()).at(Located::new(source, line, ""))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn households_round_trip_and_errors_name_the_line() {
        let text = "id,members,current,days_there\nH1,18-64:e;4-11:school;0,L1,12\nH2,12-17,,\n";
        let hs = parse_households_csv("h.csv", text).unwrap();
        assert_eq!(hs[0].persons(), 3);
        assert_eq!(hs[0].school_children(), 1);
        assert!(hs[1].is_unaccompanied());
        assert_eq!(parse_households_csv("again.csv", &households_to_csv(&hs)).unwrap(), hs);
        let e = parse_households_csv("h.csv", "id,members\nH1,18-64\nH2,18-64:z\n").unwrap_err().to_string();
        assert!(e.starts_with("h.csv:3: members: 'z' is neither"), "{e}");
        let e = parse_households_csv("h.csv", "id,members\nH1,adult\n").unwrap_err().to_string();
        assert!(e.contains("h.csv:2: members: 'adult' is not an age band"), "{e}");
    }
}
