// Package ipranges knows who owns an address, from the IP-range files cloud
// providers publish: AWS ip-ranges.json, Google Cloud cloud.json (and
// goog.json), Azure service tags, Cloudflare's lists and API answer,
// Fastly's public-ip-list, and any plain CIDR list the user names a
// provider for. The audit uses it to catch an endpoint whose declared
// location says one provider while its address belongs to another.
//
// The project ships no provider data: the user downloads the files and
// passes them in. Parse and New are pure; Load reads files. A Table is
// immutable once built, so it can be shared without locks.
//
// Owners carry a lower-case provider ("aws", "gcp", "azure", "cloudflare",
// "fastly", or the name given in PROVIDER=FILE) and a lower-case region in
// the provider's own spelling ("us-east-1", "us-east1", "eastus"); the
// region is empty where the file names none (AWS "GLOBAL", Google
// "global", Azure's region-less tags, goog.json, CDN lists).
package ipranges
