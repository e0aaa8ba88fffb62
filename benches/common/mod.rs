//! What the benchmarks share.

/// A policy of `n` rules of the shapes admins write: directory connections
/// off the office network, organisations abroad, embargo deny rules with
/// e-mail domains, refresh-token skips, recent-MFA quantifiers.
pub fn generated(n: usize) -> String {
    let mut p = String::from("let office = [203.0.113.0/24, 2001:db8:10::/48]\ndefault skip mfa\n");
    for i in 0..n {
        let line = match i % 5 {
            0 => format!("rule r{i}: require mfa when connection == \"corp-{i}\" and not ip in office\n"),
            1 => format!("rule r{i}: require mfa using \"guardian\" when organization in [\"org-{i}\", \"org-{i}b\"] and continent != \"EU\"\n"),
            2 => format!("rule r{i}: deny \"blocked {i}\" when country in [\"KP\", \"IR\"] and user.email ends_with \"@x{i}.example\"\n"),
            3 => format!("rule r{i}: skip mfa when transaction.protocol == \"oauth2-refresh-token\" and stats.logins_count > {i}\n"),
            _ => format!("rule r{i}: require mfa when any m in authentication.methods: m.name == \"mfa\" and m.timestamp < now - {}h\n", i % 48 + 1),
        };
        p.push_str(&line);
    }
    p
}
