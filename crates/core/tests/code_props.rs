//! Codes are parsed once at the edge, from anything a user or a URL can send: parsing never
//! panics, and accepts exactly what an independent character-level reading of the rule
//! ("GM" + four digits, "PV" + two, any case, surrounding whitespace ignored) accepts.

use proptest::prelude::*;
use spreiding_core::{GmCode, PvCode};

/// The oracle: the rule read character by character, with no byte slicing.
fn accepted(s: &str, prefix: &str, digits: usize) -> bool {
    let chars: Vec<char> = s.trim().chars().collect();
    let p: Vec<char> = prefix.chars().collect();
    chars.len() == p.len() + digits
        && chars.iter().zip(&p).all(|(c, q)| c.to_ascii_uppercase() == *q)
        && chars[p.len()..].iter().all(|c| c.is_ascii_digit())
}

fn candidate() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[gGpPmMvV]{0,3}[0-9]{0,5}",
        " ?(GM|gm|PV|pv)[0-9]{2,4} ?",
        "(GM|PV)[\\u{80}-\\u{10FFFF}]{1,4}",
        "[\\u{80}-\\u{10FFFF}]{1,3}[0-9]{0,3}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsing_a_code_never_panics_and_matches_the_rule(s in candidate()) {
        let gm = s.parse::<GmCode>();
        prop_assert_eq!(gm.is_ok(), accepted(&s, "GM", 4), "GmCode {:?}", s);
        if let Ok(g) = gm {
            prop_assert_eq!(g.to_string(), s.trim().to_ascii_uppercase());
        }
        let pv = s.parse::<PvCode>();
        prop_assert_eq!(pv.is_ok(), accepted(&s, "PV", 2), "PvCode {:?}", s);
    }
}

#[test]
fn a_multibyte_character_where_the_prefix_should_be_is_refused_not_a_panic() {
    assert!("\u{db900}".parse::<PvCode>().is_err());
    assert!("é12".parse::<PvCode>().is_err());
    assert!("Gé123".parse::<GmCode>().is_err());
}
