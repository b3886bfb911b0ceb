//! Reference data and definitions compiled into the binary, so every command works from
//! any directory and the numbers cannot drift from the files in the repository.
//! Sources and licences: `data/SOURCES.md` (CBS, CC BY 4.0 — "Bron: CBS").

use crate::error::CoreError;
use crate::key::KeyDefinition;
use crate::region::{Netherlands, ProvinceFile, RegionSet};

pub const GEMEENTEN_FILE: &str = "data/gemeenten_2025.csv";
pub const GEMEENTEN_CSV: &str = include_str!("../../../data/gemeenten_2025.csv");
pub const PROVINCIES_FILE: &str = "data/provincies_2025.csv";
pub const PROVINCIES_CSV: &str = include_str!("../../../data/provincies_2025.csv");

/// Key definitions shipped under `keys/`: (id, file name, TOML text).
pub const KEYS: &[(&str, &str, &str)] = &[
    (
        "nl-spreidingswet-2024",
        "keys/nl-spreidingswet-2024.toml",
        include_str!("../../../keys/nl-spreidingswet-2024.toml"),
    ),
    ("nl-population", "keys/nl-population.toml", include_str!("../../../keys/nl-population.toml")),
    ("de-koenigstein", "keys/de-koenigstein.toml", include_str!("../../../keys/de-koenigstein.toml")),
    ("dk-integrationsloven", "keys/dk-integrationsloven.toml", include_str!("../../../keys/dk-integrationsloven.toml")),
    ("be-fedasil-2016", "keys/be-fedasil-2016.toml", include_str!("../../../keys/be-fedasil-2016.toml")),
    ("eu-ammr-2024", "keys/eu-ammr-2024.toml", include_str!("../../../keys/eu-ammr-2024.toml")),
];

/// The id of the Spreidingswet key (needs SES-WOA) and of the population-only fallback.
pub const SPREIDINGSWET_KEY: &str = "nl-spreidingswet-2024";
pub const POPULATION_KEY: &str = "nl-population";

/// The specific-payment table shipped under `payments/` (docs/DOMAIN-BRIEF.md §3: uncertain amounts).
pub const PAYMENTS_FILE: &str = "payments/nl-specifieke-uitkering-2024.toml";
pub const PAYMENTS_TOML: &str = include_str!("../../../payments/nl-specifieke-uitkering-2024.toml");

/// The shipped payment table.
pub fn payment_table() -> Result<crate::payment::PaymentTable, CoreError> {
    crate::payment::PaymentTable::parse(PAYMENTS_FILE, PAYMENTS_TOML)
}

/// The 342 municipalities and 12 provinces, validated and cross-checked.
pub fn netherlands() -> Result<Netherlands, CoreError> {
    let set = RegionSet::parse_csv(GEMEENTEN_FILE, GEMEENTEN_CSV)?;
    let provinces = ProvinceFile::parse(PROVINCIES_FILE, PROVINCIES_CSV)?;
    Netherlands::from_sets(set, Some(&provinces))
}

/// A shipped key definition by id.
pub fn key(id: &str) -> Option<Result<KeyDefinition, CoreError>> {
    KEYS.iter().find(|(k, _, _)| *k == id).map(|(_, file, text)| KeyDefinition::parse(file, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_reference_data_is_valid_and_complete() {
        let nl = netherlands().unwrap();
        assert_eq!(nl.municipalities.len(), 342);
        assert_eq!(nl.provinces.len(), 12);
        assert_eq!(nl.total_population(), 18_130_208);
        assert_eq!(nl.set.population_date, chrono::NaiveDate::from_ymd_opt(2026, 1, 1));
    }

    #[test]
    fn every_shipped_key_parses_and_its_id_matches_the_file() {
        for (id, _, _) in KEYS {
            let def = key(id).unwrap().unwrap();
            assert_eq!(&def.id, id);
        }
    }
}
