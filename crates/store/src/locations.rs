//! The registry of reception locations (opvanglocaties) and the quality assessments
//! against the kwaliteitskader, in the database.
//!
//! Only COA may change the registry or record assessments: the rule is
//! [`Actor::may`](spreiding_core::actor::Actor::may)`(Action::ManageLocations)` in the core.
//! Every change is one transaction with one audit record per location; a bad row in a
//! bulk import writes nothing and names the row. Unknown data is stored as NULL and comes
//! back as `None`, so the quality framework keeps reporting it as *unknown*, never pass.
//! The assessment itself is the pure [`spreiding_core::quality::assess`], run inside the
//! transaction on the stored data, so a stored result always matches the data it judged.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::Serialize;
use spreiding_core::actor::Action;
use spreiding_core::location::{Access, Facilities, Location, OPTIONAL_FIELDS, REQUIRED_FIELDS};
use spreiding_core::quality::{Assessment, CriterionResult, Framework, Group, GroupSet, Outcome, assess};
use spreiding_core::{CoreError, GmCode};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, Entry};
use crate::error::{Result, StoreError};
use crate::{Act, Store, Tx, date};

/// What an import did: locations added, changed, and left as they were.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LocationImport {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub unchanged: Vec<String>,
}

/// One stored assessment of one location: which framework, when, by whom, the outcome
/// per criterion and the Art. 24 RCD groups the location may house.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredAssessment {
    /// The assessment run (one `quality assess --store`), numbered 1, 2, …
    pub run: i64,
    pub location: String,
    pub framework: String,
    pub version: u32,
    pub assessed_on: NaiveDate,
    /// Who assessed (a person or team), as given.
    pub assessor: String,
    /// Who recorded the run in the database (the actor).
    pub recorded_by: String,
    pub overall: Outcome,
    pub may_house: GroupSet,
    pub results: Vec<CriterionResult>,
}

impl StoredAssessment {
    /// The core assessment (to render or compare with a fresh one).
    pub fn assessment(&self) -> Assessment {
        Assessment {
            location: self.location.clone(),
            framework: self.framework.clone(),
            version: self.version,
            overall: self.overall,
            results: self.results.clone(),
            may_house: self.may_house,
        }
    }

    pub fn count(&self, o: Outcome) -> usize {
        self.results.iter().filter(|r| r.outcome == o).count()
    }
}

/// Decimal fields: stored as exact decimal text (see migrations/0002_locations.sql).
const DECIMALS: [&str; 4] = ["m2_per_person", "ceiling_height_m", "cost_per_place_day", "durability_years"];

/// Every registry column, in the order of [`values`].
static COLUMNS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut c: Vec<&str> = REQUIRED_FIELDS.iter().map(|f| if *f == "type" { "kind" } else { f }).collect();
    c.extend(OPTIONAL_FIELDS.iter().map(|f| f.0));
    c.extend(["updated_on", "updated_by"]);
    c
});

static INSERT_SQL: LazyLock<String> = LazyLock::new(|| {
    let params: Vec<String> = (1..=COLUMNS.len()).map(|i| format!("${i}")).collect();
    format!("INSERT INTO locations ({}) VALUES ({})", COLUMNS.join(", "), params.join(", "))
});

static UPDATE_SQL: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> = COLUMNS.iter().enumerate().skip(1).map(|(i, c)| format!("{c} = ${}", i + 1)).collect();
    format!("UPDATE locations SET {} WHERE id = $1", sets.join(", "))
});

/// A bound value.
enum Val {
    Int(Option<i64>),
    Text(Option<String>),
}

fn int(v: Option<u32>) -> Val {
    Val::Int(v.map(i64::from))
}
fn flag(v: Option<bool>) -> Val {
    Val::Int(v.map(i64::from))
}
fn dec(v: Option<f64>) -> Val {
    // Rust's `Display` for f64 is the shortest text that parses back to the same number.
    Val::Text(v.map(|x| format!("{x}")))
}

/// The column values of a location, in [`COLUMNS`] order.
fn values(l: &Location, act: &Act) -> Vec<Val> {
    let (f, a) = (&l.facilities, &l.access);
    let by_name = |name: &str| -> Val {
        match name {
            "occupied" => int(l.occupied),
            "bedrooms" => int(l.bedrooms),
            "m2_per_person" => dec(l.m2_per_person),
            "persons_per_bedroom" => int(l.persons_per_bedroom),
            "ceiling_height_m" => dec(l.ceiling_height_m),
            "lockable_bedrooms" => flag(f.lockable_bedrooms),
            "separate_sanitary" => flag(f.separate_sanitary),
            "play_space" => flag(f.play_space),
            "open_air_space" => flag(f.open_air_space),
            "private_meeting_room" => flag(f.private_meeting_room),
            "step_free" => flag(f.step_free),
            "medical_post" => flag(f.medical_post),
            "one_family_per_bedroom" => flag(f.one_family_per_bedroom),
            "bed_and_cupboard_each" => flag(f.bed_and_cupboard_each),
            "sex_separated_bedrooms" => flag(f.sex_separated_bedrooms),
            "separated_from_adults" => flag(f.separated_from_adults),
            "school_min" => int(a.school_min),
            "gp_min" => int(a.gp_min),
            "hospital_min" => int(a.hospital_min),
            "legal_aid_min" => int(a.legal_aid_min),
            "shops_min" => int(a.shops_min),
            "school_access_days" => int(a.school_access_days),
            "needs_assessment_days" => int(a.needs_assessment_days),
            "max_stay_days" => int(l.max_stay_days),
            "opened" => Val::Text(l.opened.map(|d| d.to_string())),
            "closing" => Val::Text(l.closing.map(|d| d.to_string())),
            "cost_per_place_day" => dec(l.cost_per_place_day),
            "durability_years" => dec(l.durability_years),
            "cluster" => Val::Text(l.cluster.clone()),
            other => unreachable!("registry field {other} has no column"),
        }
    };
    let mut v = vec![
        Val::Text(Some(l.id.clone())),
        Val::Text(Some(l.name.clone())),
        Val::Text(Some(l.municipality.to_string())),
        Val::Text(Some(l.operator.code().to_string())),
        Val::Text(Some(l.kind.code().to_string())),
        Val::Int(Some(i64::from(l.beds))),
    ];
    v.extend(OPTIONAL_FIELDS.iter().map(|(n, _)| by_name(n)));
    v.push(Val::Text(Some(act.on.to_string())));
    v.push(Val::Text(Some(act.actor.name.clone())));
    debug_assert_eq!(v.len(), COLUMNS.len());
    v
}

async fn write_row(tx: &mut Tx, sql: &str, vals: Vec<Val>) -> Result<()> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    for v in vals {
        q = match v {
            Val::Int(x) => q.bind(x),
            Val::Text(x) => q.bind(x),
        };
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

fn corrupt(id: &str, col: &str, what: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("stored location '{id}', column {col}: {what}"))
}

fn location_from_row(r: &AnyRow) -> Result<Location> {
    let id: String = r.try_get("id")?;
    let u = |c: &str| -> Result<Option<u32>> {
        r.try_get::<Option<i64>, _>(c)?
            .map(|v| u32::try_from(v).map_err(|_| corrupt(&id, c, format!("{v} is out of range"))))
            .transpose()
    };
    let b = |c: &str| -> Result<Option<bool>> { Ok(r.try_get::<Option<i64>, _>(c)?.map(|v| v != 0)) };
    let d = |c: &str| -> Result<Option<f64>> {
        r.try_get::<Option<String>, _>(c)?
            .map(|s| s.parse::<f64>().map_err(|_| corrupt(&id, c, format!("'{s}' is not a number"))))
            .transpose()
    };
    let day =
        |c: &str| -> Result<Option<NaiveDate>> { r.try_get::<Option<String>, _>(c)?.map(|s| date(&s)).transpose() };
    let beds: i64 = r.try_get("beds")?;
    Ok(Location {
        name: r.try_get("name")?,
        municipality: r.try_get::<String, _>("municipality")?.parse()?,
        operator: r.try_get::<String, _>("operator")?.parse()?,
        kind: r.try_get::<String, _>("kind")?.parse()?,
        beds: u32::try_from(beds).map_err(|_| corrupt(&id, "beds", format!("{beds} is out of range")))?,
        occupied: u("occupied")?,
        bedrooms: u("bedrooms")?,
        m2_per_person: d("m2_per_person")?,
        persons_per_bedroom: u("persons_per_bedroom")?,
        ceiling_height_m: d("ceiling_height_m")?,
        facilities: Facilities {
            lockable_bedrooms: b("lockable_bedrooms")?,
            separate_sanitary: b("separate_sanitary")?,
            play_space: b("play_space")?,
            open_air_space: b("open_air_space")?,
            private_meeting_room: b("private_meeting_room")?,
            step_free: b("step_free")?,
            medical_post: b("medical_post")?,
            one_family_per_bedroom: b("one_family_per_bedroom")?,
            bed_and_cupboard_each: b("bed_and_cupboard_each")?,
            sex_separated_bedrooms: b("sex_separated_bedrooms")?,
            separated_from_adults: b("separated_from_adults")?,
        },
        access: Access {
            school_min: u("school_min")?,
            gp_min: u("gp_min")?,
            hospital_min: u("hospital_min")?,
            legal_aid_min: u("legal_aid_min")?,
            shops_min: u("shops_min")?,
            school_access_days: u("school_access_days")?,
            needs_assessment_days: u("needs_assessment_days")?,
        },
        max_stay_days: u("max_stay_days")?,
        opened: day("opened")?,
        closing: day("closing")?,
        cost_per_place_day: d("cost_per_place_day")?,
        durability_years: d("durability_years")?,
        cluster: r.try_get("cluster")?,
        id,
    })
}

/// Check one location before it is written. Errors say what to correct.
fn check_location(nl: &spreiding_core::Netherlands, l: &Location) -> Result<(), String> {
    if l.id.trim().is_empty() || l.id.trim() != l.id {
        return Err(format!(
            "location id '{}' is empty or has spaces around it: every location needs a trimmed id",
            l.id
        ));
    }
    if l.name.trim().is_empty() {
        return Err(format!("location '{}' has no name", l.id));
    }
    if nl.municipality(l.municipality).is_none() {
        return Err(format!(
            "location '{}': unknown municipality {}: not one of the {} municipalities in the reference data",
            l.id,
            l.municipality,
            nl.municipalities.len()
        ));
    }
    if let Some(o) = l.occupied
        && o > l.beds
    {
        return Err(format!(
            "location '{}': occupied: {o} persons housed but only {} beds: correct beds or occupied",
            l.id, l.beds
        ));
    }
    if let (Some(o), Some(c)) = (l.opened, l.closing)
        && c < o
    {
        return Err(format!("location '{}': closing: closing date {c} is before opening date {o}", l.id));
    }
    for (name, v) in
        DECIMALS.iter().zip([l.m2_per_person, l.ceiling_height_m, l.cost_per_place_day, l.durability_years])
    {
        if let Some(x) = v
            && (!x.is_finite() || x < 0.0)
        {
            return Err(format!("location '{}': {name}: {x} must be a number of zero or more", l.id));
        }
    }
    Ok(())
}

fn outcome(code: &str) -> Result<Outcome> {
    Ok(match code {
        "pass" => Outcome::Pass,
        "fail" => Outcome::Fail,
        "unknown" => Outcome::Unknown,
        "n/a" => Outcome::NotApplicable,
        other => return Err(StoreError::Database(format!("stored outcome '{other}' is not pass/fail/unknown/n/a"))),
    })
}

fn groups(letters: &str) -> Result<GroupSet> {
    letters
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<Group>())
        .collect::<std::result::Result<GroupSet, CoreError>>()
        .map_err(StoreError::from)
}

async fn load_locations(tx: &mut Tx) -> Result<Vec<Location>> {
    let rows = sqlx::query("SELECT * FROM locations ORDER BY id").fetch_all(&mut **tx).await?;
    rows.iter().map(location_from_row).collect()
}

/// Which assessments to read.
#[derive(Clone, Copy)]
enum Which<'a> {
    Latest,
    Of(&'a str),
}

impl Store {
    /// Import locations (add new ones, update changed ones) in one transaction, with one
    /// audit record per added or changed location. Only COA may do this. Any bad row:
    /// nothing is written, and the error names the row (1-based) and the location.
    pub async fn import_locations(&self, act: &Act, locations: &[Location]) -> Result<LocationImport> {
        act.actor.may(Action::ManageLocations)?;
        if locations.is_empty() {
            return Err(StoreError::Invalid("no locations to import".into()));
        }
        let mut seen = BTreeMap::new();
        for (i, l) in locations.iter().enumerate() {
            let row = i + 1;
            check_location(&self.nl, l).map_err(|message| StoreError::InvalidRow { row, message })?;
            if let Some(first) = seen.insert(l.id.as_str(), row) {
                return Err(StoreError::InvalidRow {
                    row,
                    message: format!("location '{}' appears twice (also in row {first}): each id once", l.id),
                });
            }
        }
        let mut tx = self.begin().await?;
        let mut out = LocationImport::default();
        for (i, l) in locations.iter().enumerate() {
            let before =
                sqlx::query("SELECT * FROM locations WHERE id = $1").bind(&l.id).fetch_optional(&mut *tx).await?;
            let before = before.as_ref().map(location_from_row).transpose().map_err(|e| e.in_row(i + 1))?;
            let (action, subject) = match &before {
                Some(b) if b == l => {
                    out.unchanged.push(l.id.clone());
                    continue;
                }
                Some(_) => {
                    write_row(&mut tx, &UPDATE_SQL, values(l, act)).await?;
                    out.changed.push(l.id.clone());
                    ("location.update", format!("location {} ({}, {}) updated", l.id, l.name, l.municipality))
                }
                None => {
                    write_row(&mut tx, &INSERT_SQL, values(l, act)).await?;
                    out.added.push(l.id.clone());
                    (
                        "location.register",
                        format!(
                            "location {} ({}, {}) registered: {} beds, {}",
                            l.id, l.name, l.municipality, l.beds, l.kind
                        ),
                    )
                }
            };
            self.fail("locations:after-first-row")?;
            audit::append(
                &mut tx,
                act,
                Entry {
                    action,
                    cycle_id: None,
                    subject,
                    reason: None,
                    before: serde_json::to_value(&before).expect("serialisable"),
                    after: serde_json::to_value(l).expect("serialisable"),
                    touches: vec![crate::replay::touch!("locations", l.id.as_str())],
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The locations in the registry, ordered by id; only those in `municipalities` when
    /// that is not empty.
    pub async fn locations(&self, municipalities: &[GmCode]) -> Result<Vec<Location>> {
        let rows = sqlx::query("SELECT * FROM locations ORDER BY id").fetch_all(&self.pool).await?;
        let want: BTreeSet<GmCode> = municipalities.iter().copied().collect();
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let l = location_from_row(r)?;
            if want.is_empty() || want.contains(&l.municipality) {
                out.push(l);
            }
        }
        Ok(out)
    }

    /// One location of the registry.
    pub async fn location(&self, id: &str) -> Result<Location> {
        let row = sqlx::query("SELECT * FROM locations WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        match row {
            Some(r) => location_from_row(&r),
            None => Err(StoreError::NotFound(format!(
                "no location '{id}' in the registry: see `spreiding locations list` for the ids"
            ))),
        }
    }

    /// Assess every location in the registry against `fw` on `act.on` and store the
    /// results as one run, in one transaction with one audit record per location. Only
    /// COA may do this. Missing data is stored as *unknown*, never as a pass.
    pub async fn assess_locations(&self, act: &Act, fw: &Framework, assessor: &str) -> Result<Vec<StoredAssessment>> {
        act.actor.may(Action::ManageLocations)?;
        let assessor = assessor.trim();
        if assessor.is_empty() {
            return Err(StoreError::Invalid(
                "say who assessed: an assessor's name or team is recorded with the results".into(),
            ));
        }
        let mut tx = self.begin().await?;
        let locs = load_locations(&mut tx).await?;
        if locs.is_empty() {
            return Err(StoreError::Invalid(
                "the registry is empty: import the locations first with `spreiding locations import FILE --as coa`"
                    .into(),
            ));
        }
        let last: Option<i64> = sqlx::query("SELECT MAX(run) AS last_run FROM quality_assessments")
            .fetch_one(&mut *tx)
            .await?
            .try_get("last_run")?;
        let run = last.unwrap_or(0) + 1;
        let mut out = Vec::with_capacity(locs.len());
        for l in &locs {
            let a = assess(fw, l);
            let stored = StoredAssessment {
                run,
                location: a.location,
                framework: a.framework,
                version: a.version,
                assessed_on: act.on,
                assessor: assessor.to_string(),
                recorded_by: act.actor.name.clone(),
                overall: a.overall,
                may_house: a.may_house,
                results: a.results,
            };
            sqlx::query(
                "INSERT INTO quality_assessments (run, location_id, framework_id, framework_version, assessed_on, \
                 assessor, recorded_by, overall, may_house) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(run)
            .bind(&stored.location)
            .bind(&stored.framework)
            .bind(i64::from(stored.version))
            .bind(act.on.to_string())
            .bind(&stored.assessor)
            .bind(&stored.recorded_by)
            .bind(stored.overall.code())
            .bind(stored.may_house.letters())
            .execute(&mut *tx)
            .await?;
            for (pos, r) in stored.results.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO quality_results (run, location_id, position, criterion, outcome, detail) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(run)
                .bind(&stored.location)
                .bind(pos as i64)
                .bind(&r.criterion)
                .bind(r.outcome.code())
                .bind(&r.detail)
                .execute(&mut *tx)
                .await?;
            }
            self.fail("assess:after-first-location")?;
            let unknown = stored.count(Outcome::Unknown);
            audit::append(
                &mut tx,
                act,
                Entry {
                    action: "quality.assess",
                    cycle_id: None,
                    subject: format!(
                        "location {} assessed against {} v{} by {}: {} ({} fail, {} unknown), may house {}",
                        stored.location,
                        stored.framework,
                        stored.version,
                        stored.assessor,
                        stored.overall.code(),
                        stored.count(Outcome::Fail),
                        unknown,
                        if stored.may_house.is_empty() {
                            "no Art. 24 group".into()
                        } else {
                            stored.may_house.letters()
                        }
                    ),
                    reason: None,
                    before: serde_json::Value::Null,
                    after: serde_json::to_value(&stored).expect("serialisable"),
                    touches: vec![
                        crate::replay::touch!("quality_assessments", run, stored.location.as_str()),
                        crate::replay::touch!("quality_results", run, stored.location.as_str()),
                    ],
                },
            )
            .await?;
            out.push(stored);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The most recent assessment of every assessed location (latest date, then latest run).
    pub async fn latest_assessments(&self) -> Result<Vec<StoredAssessment>> {
        self.read_assessments(Which::Latest).await
    }

    /// Every stored assessment of one location, oldest first.
    pub async fn assessments_of(&self, location: &str) -> Result<Vec<StoredAssessment>> {
        self.location(location).await?;
        self.read_assessments(Which::Of(location)).await
    }

    async fn read_assessments(&self, which: Which<'_>) -> Result<Vec<StoredAssessment>> {
        let cond = match which {
            Which::Latest => {
                "NOT EXISTS (SELECT 1 FROM quality_assessments b WHERE b.location_id = a.location_id \
                 AND (b.assessed_on > a.assessed_on OR (b.assessed_on = a.assessed_on AND b.run > a.run)))"
            }
            Which::Of(_) => "a.location_id = $1",
        };
        let bind = match which {
            Which::Latest => None,
            Which::Of(id) => Some(id.to_string()),
        };
        let heads =
            format!("SELECT a.* FROM quality_assessments a WHERE {cond} ORDER BY a.location_id, a.assessed_on, a.run");
        let lines = format!(
            "SELECT r.run, r.location_id, r.criterion, r.outcome, r.detail FROM quality_results r \
             JOIN quality_assessments a ON a.run = r.run AND a.location_id = r.location_id WHERE {cond} \
             ORDER BY r.run, r.location_id, r.position"
        );
        let (mut q1, mut q2) = (sqlx::query(sqlx::AssertSqlSafe(heads)), sqlx::query(sqlx::AssertSqlSafe(lines)));
        if let Some(b) = &bind {
            q1 = q1.bind(b.clone());
            q2 = q2.bind(b.clone());
        }
        let heads = q1.fetch_all(&self.pool).await?;
        let mut results: BTreeMap<(i64, String), Vec<CriterionResult>> = BTreeMap::new();
        for r in q2.fetch_all(&self.pool).await? {
            results.entry((r.try_get("run")?, r.try_get("location_id")?)).or_default().push(CriterionResult {
                criterion: r.try_get("criterion")?,
                outcome: outcome(&r.try_get::<String, _>("outcome")?)?,
                detail: r.try_get("detail")?,
            });
        }
        heads
            .iter()
            .map(|h| {
                let run: i64 = h.try_get("run")?;
                let location: String = h.try_get("location_id")?;
                let version: i64 = h.try_get("framework_version")?;
                Ok(StoredAssessment {
                    results: results.remove(&(run, location.clone())).unwrap_or_default(),
                    run,
                    location,
                    framework: h.try_get("framework_id")?,
                    version: u32::try_from(version).map_err(|_| {
                        StoreError::Database(format!("stored framework version {version} out of range"))
                    })?,
                    assessed_on: date(&h.try_get::<String, _>("assessed_on")?)?,
                    assessor: h.try_get("assessor")?,
                    recorded_by: h.try_get("recorded_by")?,
                    overall: outcome(&h.try_get::<String, _>("overall")?)?,
                    may_house: groups(&h.try_get::<String, _>("may_house")?)?,
                })
            })
            .collect()
    }
}
