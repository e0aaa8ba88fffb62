# The reference policy in Rego (regorus). `require` is true when MFA is required.
# Absent fields make an expression undefined, and `not undefined` is true: that
# gives mfapol's "absent compares false" and "!= is the negation of ==" semantics,
# so the negative tests are written `not x == v` / `not in_office`, never `x != v`.
package mfa

import rego.v1

default require := false

require if {
	need
	not external_customer
}

need if {
	input.connection.name == "corp-ad"
	not in_office
}

need if flagged

need if {
	input.organization.name in {"acme-internal", "acme-staff"}
	not input.request.geoip.continentCode == "EU"
}

flagged if input.user.app_metadata.require_mfa == true

# mfapol matches an IPv4-mapped IPv6 address (::ffff:a.b.c.d) against IPv4 ranges.
in_office if net.cidr_contains("203.0.113.0/24", input.request.ip)

in_office if net.cidr_contains("::ffff:203.0.113.0/120", input.request.ip)

external_customer if {
	input.connection.name == "google-oauth2"
	endswith(input.user.email, "@customer.example")
	not flagged
}
