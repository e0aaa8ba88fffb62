//! Help for a string outside a closed set that the plain did-you-mean
//! misses: a country written by name (`"Russia"` -> `"RU"`), a continent
//! where a country goes (`country == "EU"`), and a value written as part of
//! a longer one (`"refresh_token"` -> `"oauth2-refresh-token"`).

use super::suggest::{did_you_mean, join_or};
use crate::schema::EnumDef;

/// Country names and their ISO 3166-1 alpha-2 codes.
const COUNTRY_NAMES: &str = include_str!("country_names.tsv");

/// The enum of `request.geoip.countryCode` in the schema text.
const COUNTRY_ENUM: &str = "country_code";

/// Continent codes that are not also country codes (`AF`, `AS`, `NA` and
/// `SA` are countries too), and continent names, with their codes.
const CONTINENTS: &[(&str, &str)] = &[
    ("EU", "EU"),
    ("OC", "OC"),
    ("AN", "AN"),
    ("europe", "EU"),
    ("asia", "AS"),
    ("africa", "AF"),
    ("oceania", "OC"),
    ("antarctica", "AN"),
    ("northamerica", "NA"),
    ("southamerica", "SA"),
];

/// The help for `value`, not in `def`, where one of these slips explains it.
pub(crate) fn help_for_slip(def: &EnumDef, value: &str) -> Option<String> {
    if def.name == COUNTRY_ENUM {
        if let Some(h) = continent_as_country(value).or_else(|| country_by_name(value)) {
            return Some(h);
        }
    }
    part_of_a_value(def, value)
}

/// `country == "EU"`: a continent, compared with the country.
fn continent_as_country(value: &str) -> Option<String> {
    let norm = normalize(value);
    let (_, code) = CONTINENTS
        .iter()
        .find(|(w, _)| *w == value || (w.len() > 2 && *w == norm))?;
    Some(format!(
        "`\"{value}\"` is a continent, not a country: compare `continent` instead (`continent == \"{code}\"`)"
    ))
}

/// `"Russia"`, `"Iran"`, `"United Kingdom"`, `"Korea"`: a country by name.
fn country_by_name(value: &str) -> Option<String> {
    let norm = normalize(value);
    if norm.chars().count() < 3 {
        return None;
    }
    let table: Vec<(&str, &str)> = COUNTRY_NAMES
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .collect();
    // The name as written, or the part before its comma ("Korea, Republic
    // of" is one of two Koreas).
    let mut codes: Vec<&str> = Vec::new();
    for (code, name) in &table {
        let head = name.split(',').next().unwrap_or(name);
        if (normalize(name) == norm || normalize(head) == norm) && !codes.contains(code) {
            codes.push(code);
        }
    }
    if codes.is_empty() {
        // A misspelt name: `"Rusia"`.
        let names: Vec<String> = table.iter().map(|(_, n)| normalize(n)).collect();
        let near = did_you_mean(&norm, names.iter().map(String::as_str))?;
        let (code, _) = table.iter().find(|(_, n)| normalize(n) == near)?;
        codes.push(code);
    }
    let named = |code: &str| {
        let name = table
            .iter()
            .find(|(c, _)| *c == code)
            .map_or("", |(_, n)| *n);
        format!("`\"{code}\"` ({name})")
    };
    match codes.as_slice() {
        [one] => Some(format!(
            "countries are ISO 3166-1 alpha-2 codes: did you mean {}?",
            named(one)
        )),
        many => {
            let listed: Vec<String> = many.iter().map(|c| named(c)).collect();
            Some(format!(
                "countries are ISO 3166-1 alpha-2 codes: `\"{value}\"` could be {}",
                join_or(&listed)
            ))
        }
    }
}

/// `"refresh_token"` for `"oauth2-refresh-token"`: the only value that
/// contains the word (ignoring case, `-` and `_`).
fn part_of_a_value(def: &EnumDef, value: &str) -> Option<String> {
    let norm = normalize(value);
    if norm.chars().count() < 4 {
        return None;
    }
    let mut hits = def.values.iter().filter(|v| normalize(v).contains(&norm));
    let one = hits.next()?;
    if hits.next().is_some() {
        return None;
    }
    Some(format!("did you mean `\"{one}\"`?"))
}

/// Lower case, letters and digits only: `"United Kingdom"` -> `unitedkingdom`.
fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;

    fn help(enum_name: &str, value: &str) -> Option<String> {
        let s = schema::auth0_post_login();
        let def = s.enums.iter().find(|e| e.name == enum_name).unwrap();
        help_for_slip(def, value)
    }

    #[test]
    fn countries_by_name() {
        let h = help("country_code", "Russia").unwrap();
        assert!(h.contains("`\"RU\"`"), "{h}");
        assert!(help("country_code", "iran").unwrap().contains("`\"IR\"`"));
        assert!(help("country_code", "United Kingdom")
            .unwrap()
            .contains("`\"GB\"`"));
        assert!(help("country_code", "Rusia").unwrap().contains("`\"RU\"`"));
        let korea = help("country_code", "Korea").unwrap();
        assert!(
            korea.contains("`\"KP\"`") && korea.contains("`\"KR\"`"),
            "{korea}"
        );
        assert_eq!(help("country_code", "Zzzzqq"), None);
    }

    #[test]
    fn continents_are_not_countries() {
        let h = help("country_code", "EU").unwrap();
        assert!(h.contains("`continent == \"EU\"`"), "{h}");
        assert!(help("country_code", "Europe")
            .unwrap()
            .contains("`continent == \"EU\"`"));
    }

    #[test]
    fn a_word_of_one_value() {
        assert_eq!(
            help("protocol", "refresh_token").as_deref(),
            Some("did you mean `\"oauth2-refresh-token\"`?")
        );
        // `oidc` is part of several values: no guess.
        assert_eq!(help("protocol", "oidc"), None);
    }
}
