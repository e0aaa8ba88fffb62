//! Did-you-mean: only among the names valid at that spot, and only when one
//! is close enough to be a plausible typo.

/// The closest candidate to `word`, if any is close enough.
///
/// Names that differ only in case, `_` or `-` match first (`country_code` ->
/// `countryCode`, `googleauthenticator` -> `google-authenticator`); then the
/// optimal-string-alignment distance (typos and swapped letters, `opt` ->
/// `otp`) within a third of the word's length, at least 1.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let norm = normalize(word);
    let limit = (word.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for cand in candidates {
        if cand == word {
            continue;
        }
        let d = if normalize(cand) == norm {
            0
        } else {
            strsim::osa_distance(&word.to_lowercase(), &cand.to_lowercase())
        };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c)
}

fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// `one of `a`, `b` or `c`` for help texts.
pub fn one_of<S: AsRef<str>>(values: &[S]) -> String {
    let quoted: Vec<String> = values
        .iter()
        .map(|v| format!("`\"{}\"`", v.as_ref()))
        .collect();
    join_or(&quoted)
}

/// `a`, `a or b`, `a, b or c`.
pub fn join_or<S: AsRef<str>>(items: &[S]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.as_ref().to_string(),
        Some((last, rest)) => {
            let rest: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
            format!("{} or {}", rest.join(", "), last.as_ref())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_documented_typos() {
        assert_eq!(
            did_you_mean("country_code", ["countryCode", "cityName"]),
            Some("countryCode")
        );
        assert_eq!(
            did_you_mean("usr", ["user", "request", "stats"]),
            Some("user")
        );
        assert_eq!(
            did_you_mean("gaurdian", ["any", "duo", "guardian"]),
            Some("guardian")
        );
        assert_eq!(did_you_mean("opt", ["otp", "email", "phone"]), Some("otp"));
        assert_eq!(
            did_you_mean(
                "oauth2-refresh-tokn",
                ["oauth2-refresh-token", "oauth2-password"]
            ),
            Some("oauth2-refresh-token")
        );
        assert_eq!(
            did_you_mean("googleauthenticator", ["google-authenticator", "guardian"]),
            Some("google-authenticator")
        );
    }

    #[test]
    fn suggests_nothing_when_nothing_is_close() {
        assert_eq!(did_you_mean("zebra", ["user", "request", "stats"]), None);
        assert_eq!(did_you_mean("ab", ["xy"]), None);
    }
}
