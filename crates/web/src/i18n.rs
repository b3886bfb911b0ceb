//! Dutch by default, English on request (`?lang=en`, remembered in a cookie).

use axum::http::HeaderMap;

/// A number passed by value or through any depth of references (templates borrow freely).
pub trait Value<T> {
    fn value(&self) -> T;
}
impl Value<u64> for u64 {
    fn value(&self) -> u64 {
        *self
    }
}
impl Value<f64> for f64 {
    fn value(&self) -> f64 {
        *self
    }
}
impl Value<Option<u64>> for Option<u64> {
    fn value(&self) -> Option<u64> {
        *self
    }
}
impl<T, V: Value<T> + ?Sized> Value<T> for &V {
    fn value(&self) -> T {
        (**self).value()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Nl,
    En,
}

impl Lang {
    /// `?lang=` wins, then the `lang` cookie, then Dutch.
    pub fn detect(query: Option<&str>, headers: &HeaderMap) -> Lang {
        if let Some(q) = query {
            return Lang::parse(q);
        }
        let cookie = headers.get(axum::http::header::COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("");
        for part in cookie.split(';') {
            if let Some(v) = part.trim().strip_prefix("lang=") {
                return Lang::parse(v);
            }
        }
        Lang::Nl
    }

    pub fn parse(s: &str) -> Lang {
        if s.eq_ignore_ascii_case("en") { Lang::En } else { Lang::Nl }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }

    pub fn other(&self) -> Lang {
        match self {
            Lang::Nl => Lang::En,
            Lang::En => Lang::Nl,
        }
    }

    /// The label of the switch to the other language, in that language.
    pub fn switch_label(&self) -> &'static str {
        match self {
            Lang::Nl => "English",
            Lang::En => "Nederlands",
        }
    }

    /// Format a whole number with the language's thousands separator.
    pub fn n<T: Value<u64>>(&self, v: T) -> String {
        let s = v.value().to_string();
        let sep = if *self == Lang::Nl { '.' } else { ',' };
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(sep);
            }
            out.push(c);
        }
        out
    }

    pub fn on<T: Value<Option<u64>>>(&self, v: T) -> String {
        v.value().map(|x| self.n(x)).unwrap_or_else(|| "—".into())
    }

    /// A decimal with one or two places, decimal comma in Dutch.
    pub fn d<T: Value<f64>>(&self, v: T) -> String {
        let s = format!("{:.1}", v.value());
        if *self == Lang::Nl { s.replace('.', ",") } else { s }
    }

    pub fn d2<T: Value<f64>>(&self, v: T) -> String {
        let s = format!("{:.2}", v.value());
        if *self == Lang::Nl { s.replace('.', ",") } else { s }
    }

    /// The text in the page's language, for labels used once (the portal's forms).
    pub fn tr(&self, nl: &'static str, en: &'static str) -> &'static str {
        if *self == Lang::Nl { nl } else { en }
    }

    /// [`Lang::tr`] for texts built at run time.
    pub fn tr_owned(&self, nl: &str, en: &str) -> String {
        if *self == Lang::Nl { nl.to_string() } else { en.to_string() }
    }

    /// Translate a message id. Unknown ids return the id itself, which a test catches.
    pub fn t(&self, id: &str) -> &'static str {
        let (nl, en) = match id {
            "site" => ("Spreiding asielopvang", "Asylum reception distribution"),
            "tagline" => (
                "Openbaar overzicht van de Spreidingswet: taak, aanbod, besluit en realisatie per gemeente",
                "Public overview of the Dispersal Act: task, offer, decision and realisation per municipality",
            ),
            "disclaimer" => (
                "Onafhankelijke open-source software. Taken zijn door deze software berekend uit open gegevens en zijn geen officiële publicatie.",
                "Independent open-source software. Tasks are computed by this software from open data and are not an official publication.",
            ),
            "synthetic_banner" => (
                "Demonstratie: aanbod en realisatie op deze site zijn synthetische gegevens, niet echt.",
                "Demonstration: offers and realisation on this site are synthetic data, not real.",
            ),
            "nav_overview" => ("Landelijk overzicht", "National overview"),
            "nav_municipalities" => ("Gemeenten", "Municipalities"),
            "nav_provinces" => ("Provincies", "Provinces"),
            "nav_outcome" => ("Wat de wet oplevert", "What the law achieves"),
            "nav_forecasts" => ("Ramingen", "Forecasts"),
            "nav_api" => ("Open API", "Open API"),
            "nav_portal" => ("Portaal", "Portal"),
            "nav_login" => ("Inloggen", "Sign in"),
            "nav_logout" => ("Uitloggen", "Sign out"),
            "skip" => ("Naar de inhoud", "Skip to content"),
            "cycle" => ("Cyclus", "Cycle"),
            "forecast" => ("Capaciteitsraming", "Capacity forecast"),
            "task" => ("Taak", "Task"),
            "task_long" => ("Indicatieve taak (plaatsen)", "Indicative task (places)"),
            "offered" => ("Aangeboden", "Offered"),
            "decided" => ("Besloten", "Decided"),
            "realised" => ("Gerealiseerd", "Realised"),
            "offered_pct" => ("Aangeboden %", "Offered %"),
            "realised_pct" => ("Gerealiseerd %", "Realised %"),
            "per_1000" => ("Plaatsen per 1.000 inwoners", "Places per 1,000 inhabitants"),
            "per_1000_short" => ("Per 1.000 inw.", "Per 1,000 inh."),
            "inhabitants" => ("Inwoners", "Inhabitants"),
            "municipality" => ("Gemeente", "Municipality"),
            "province" => ("Provincie", "Province"),
            "code" => ("Code", "Code"),
            "amv" => ("waarvan AMV", "of which AMV"),
            "covered" => ("Gemeenten met aanbod ≥ taak", "Municipalities offering ≥ task"),
            "not_yet" => ("nog niet genomen", "not yet taken"),
            "timeline" => ("Tijdlijn van de cyclus", "Cycle timeline"),
            "now" => ("nu", "now"),
            "done" => ("afgerond", "done"),
            "upcoming" => ("gepland", "upcoming"),
            "deadline" => ("Uiterlijk", "Deadline"),
            "ms_forecast" => ("Capaciteitsraming en indicatieve taken", "Capacity forecast and indicative tasks"),
            "ms_provincial_table" => ("Provinciale regietafels: aanbod en ruil", "Provincial tables: offers and swaps"),
            "ms_cdk_report" => ("Rapportage Commissaris van de Koning", "Report of the King's Commissioner"),
            "ms_decision" => ("Verdeelbesluit van de minister", "Distribution decision by the minister"),
            "ms_realisation" => ("Realisatie van de plaatsen", "Realisation of the places"),
            "map" => ("Kaart", "Map"),
            "map_show" => ("Kaart toont", "Map shows"),
            "integrity" => ("Betrouwbaarheid van het register", "Integrity of the record"),
            "integrity_records" => ("Handelingen in het auditlogboek", "Acts in the audit trail"),
            "integrity_checkpoint" => (
                "Laatste ondertekende controlepunt: tot en met handeling",
                "Latest signed checkpoint: up to and including act",
            ),
            "integrity_key" => ("sleutel", "key"),
            "integrity_none" => ("Er is nog geen ondertekend controlepunt.", "There is no signed checkpoint yet."),
            "integrity_hint" => (
                "Elk controlepunt is met een Ed25519-sleutel buiten de database ondertekend. Bewaar een kopie: wie later de database wijzigt, kan dat niet verbergen voor wie het controlepunt heeft.",
                "Every checkpoint is signed with an Ed25519 key kept outside the database. Keep a copy: whoever changes the database later cannot hide it from anyone who holds the checkpoint.",
            ),
            "integrity_link" => ("Controlepunten en publieke sleutels (JSON)", "Checkpoints and public keys (JSON)"),
            "map_hint" => (
                "Beweeg over een gemeente voor de cijfers; klik om de gemeentepagina te openen. Dezelfde cijfers staan in de tabel hieronder.",
                "Hover a municipality for its figures; click to open its page. The same figures are in the table below.",
            ),
            "map_table" => ("Tabel in plaats van de kaart", "Table instead of the map"),
            "provinces_table" => {
                ("Provincies: taak, aanbod, besluit en realisatie", "Provinces: task, offer, decision and realisation")
            }
            "municipalities_table" => ("Alle 342 gemeenten", "All 342 municipalities"),
            "download" => ("Download", "Download"),
            "how_computed" => ("Hoe de taken zijn berekend", "How the tasks were computed"),
            "key" => ("Verdeelsleutel", "Distribution key"),
            "method" => ("Afrondingsmethode", "Rounding method"),
            "formula" => ("Formule", "Formula"),
            "source" => ("Bron", "Source"),
            "caveat" => ("Kanttekening", "Caveat"),
            "data" => ("Gegevens", "Data"),
            "note" => ("Let op", "Note"),
            "weight" => ("gewicht", "weight"),
            "remark" => ("Toelichting (optioneel)", "Remark (optional)"),
            "kind" => ("Soort", "Kind"),
            "kind_municipal" => ("Gemeentelijke exploitatie", "Run by the municipality"),
            "kind_coa" => ("COA-locatie (azc)", "COA location"),
            "kind_amv" => ("AMV-opvang", "Unaccompanied minors"),
            "kind_other" => ("Overig", "Other"),
            "kind_regular_durable" => ("Regulier, duurzaam (ten minste 5 jaar)", "Regular, durable (at least 5 years)"),
            "kind_amv_small_scale" => {
                ("Kleinschalig voor alleenstaande minderjarigen (AMV)", "Small-scale for unaccompanied minors (AMV)")
            }
            "kind_temporary" => ("Tijdelijk", "Temporary"),
            "kind_noodopvang" => ("Noodopvang", "Emergency reception (noodopvang)"),
            "kind_crisisnoodopvang" => ("Crisisnoodopvang", "Crisis emergency reception"),
            "kind_registration_centre" => ("Aanmeldcentrum", "Registration centre"),
            "amv_places" => ("Waarvan AMV-plaatsen", "Of which AMV places"),
            "years_available" => ("Jaren beschikbaar", "Years available"),
            "years" => ("Jaren", "Years"),
            "counts" => ("Telt mee", "Counts"),
            "withdrawn" => ("ingetrokken", "withdrawn"),
            "what_counts" => (
                "Alleen duurzame plaatsen (ten minste vijf jaar beschikbaar, Besluit art. 1.1) die er vóór de realisatietermijn zijn, tellen mee voor de taak. Noodopvang, crisisnoodopvang en tijdelijke plaatsen tellen niet mee.",
                "Only durable places (available for at least five years, Besluit art. 1.1) that are there by the realisation deadline count towards the task. Emergency, crisis and temporary places do not count.",
            ),
            "binding_explanation" => (
                "Bindende taak: toelichting bij het verdeelbesluit",
                "Binding task: explanation of the distribution decision",
            ),
            "tasks_published" => (
                "De taken zijn die van de publicatie door de minister in dit register; de toelichting rekent ze na met dezelfde sleutel en gegevens.",
                "The tasks are those published by the minister in this record; the explanation recomputes them from the same key and data.",
            ),
            "tasks_recomputed" => (
                "De taken per gemeente zijn een herberekening door spreiding bij de geïmporteerde openbare gegevens — niet de officiële tabel.",
                "The tasks per municipality are spreiding's recomputation for the imported public facts — not the official table.",
            ),
            "cycles" => ("Cycli", "Cycles"),
            "deviation" => ("Afwijking van de wettelijke sleutel", "Deviation from the key the law requires"),
            "sandbox_banner" => (
                "ZANDBAK — dit is niet het wettelijke register: data en datums zijn gekozen voor oefening.",
                "SANDBOX — this is not the legal record: data and dates are chosen for practice.",
            ),
            "available_from" => ("Beschikbaar vanaf", "Available from"),
            "late" => ("te laat", "late"),
            "tables_closed" => (
                "De provinciale regietafels zijn gesloten (de rapportage van de CdK was uiterlijk 31 oktober); nieuw aanbod wordt niet meer aangenomen.",
                "The provincial tables are closed (the CdK report was due by 31 October); new offers are no longer accepted.",
            ),
            "realisation_after_decision" => (
                "Realisatie wordt vastgelegd na het verdeelbesluit: zij telt tegen de bindende taak.",
                "Realisation is recorded after the distribution decision: it counts against the binding task.",
            ),
            "explanation" => ("Uitleg van de taak", "Explanation of the task"),
            "inputs" => ("Invoer", "Inputs"),
            "share" => ("Aandeel in het landelijk totaal", "Share of the national total"),
            "quota" => ("Exact quotum", "Exact quota"),
            "rounding" => ("Afronding", "Rounding"),
            "province_task" => ("Taak van de provincie", "Task of the province"),
            "offers" => ("Aanbod", "Offers"),
            "no_offers" => ("Nog geen aanbod geregistreerd.", "No offers recorded yet."),
            "location" => ("Locatie", "Location"),
            "places" => ("Plaatsen", "Places"),
            "durable" => ("Duurzaam (≥ 5 jaar)", "Durable (≥ 5 years)"),
            "yes" => ("ja", "yes"),
            "no" => ("nee", "no"),
            "submitted_by" => ("Ingediend door", "Submitted by"),
            "submitted_at" => ("Datum", "Date"),
            "realisation_over_time" => ("Realisatie in de tijd", "Realisation over time"),
            "no_realisation" => ("Nog geen realisatie geregistreerd.", "No realisation recorded yet."),
            "date" => ("Datum", "Date"),
            "synthetic" => ("synthetisch", "synthetic"),
            "login_title" => ("Inloggen op het portaal", "Sign in to the portal"),
            "username" => ("Gebruikersnaam", "User name"),
            "password" => ("Wachtwoord", "Password"),
            "login_button" => ("Inloggen", "Sign in"),
            "login_failed" => ("Onjuiste gebruikersnaam of wachtwoord.", "Wrong user name or password."),
            "portal_title" => ("Portaal", "Portal"),
            "signed_in_as" => ("Ingelogd als", "Signed in as"),
            "role" => ("Rol", "Role"),
            "new_offer" => ("Nieuw aanbod indienen", "Submit a new offer"),
            "submit_offer" => ("Aanbod indienen", "Submit offer"),
            "offer_saved" => (
                "Het aanbod is opgeslagen en staat op de openbare pagina.",
                "The offer was saved and is shown on the public page.",
            ),
            "record_realisation" => ("Realisatie vastleggen", "Record realisation"),
            "realised_total" => ("Totaal gerealiseerde plaatsen (cumulatief)", "Total realised places (cumulative)"),
            "save" => ("Opslaan", "Save"),
            "realisation_saved" => ("De realisatie is opgeslagen.", "The realisation was saved."),
            "portal_readonly" => (
                "Deze rol heeft in dit portaal geen invoerscherm; alle openbare cijfers en de API blijven beschikbaar.",
                "This role has no input form in this portal; all public figures and the API remain available.",
            ),
            "public_page" => ("Openbare pagina", "Public page"),
            "audit" => (
                "Elke wijziging wordt vastgelegd in het controlespoor.",
                "Every change is recorded in the audit trail.",
            ),
            "api_title" => ("Open API", "Open API"),
            "not_found" => ("Niet gevonden", "Not found"),
            "error" => ("Er ging iets mis", "Something went wrong"),
            "back" => ("Terug naar het overzicht", "Back to the overview"),
            "phase" => ("Huidige fase", "Current phase"),
            "ms_evaluation" => ("Evaluatie en volgende cyclus", "Evaluation and next cycle"),
            _ => return "??",
        };
        match self {
            Lang::Nl => nl,
            Lang::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_use_the_languages_separators() {
        assert_eq!(Lang::Nl.n(88000u64), "88.000");
        assert_eq!(Lang::En.n(1234567u64), "1,234,567");
        assert_eq!(Lang::Nl.n(12u64), "12");
        assert_eq!(Lang::Nl.d(4.5), "4,5");
        assert_eq!(Lang::En.d(4.5), "4.5");
        assert_eq!(Lang::Nl.on(None), "—");
    }

    #[test]
    fn every_message_id_used_in_the_templates_has_a_translation() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for part in text.split(".t(\"").skip(1) {
                let id = part.split('"').next().unwrap();
                assert_ne!(Lang::Nl.t(id), "??", "message id '{id}' has no translation");
            }
        }
    }
}
