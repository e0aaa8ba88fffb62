# NAIVE translation (for the docs, not for timing): `!=` on optional fields and
# no IPv4-mapped IPv6. Run: mfapol-peers --check-only --policies policies/naive
package mfa

import rego.v1

default require := false

require if {
	need
	not external_customer
}

need if {
	input.connection.name == "corp-ad"
	not net.cidr_contains("203.0.113.0/24", input.request.ip)
}

need if input.user.app_metadata.require_mfa == true

need if {
	input.organization.name in {"acme-internal", "acme-staff"}
	input.request.geoip.continentCode != "EU"
}

external_customer if {
	input.connection.name == "google-oauth2"
	endswith(input.user.email, "@customer.example")
	input.user.app_metadata.require_mfa != true
}
