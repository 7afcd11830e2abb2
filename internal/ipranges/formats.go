package ipranges

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The decoders below read one provider's document. They are strict about
// what they use (every entry needs its prefix, of the right IP version,
// and the fields that say where it is) and ignore fields they do not use,
// because providers add fields over the years (Azure's networkFeatures).

type awsFile struct {
	Prefixes     []awsEntry `json:"prefixes"`
	IPv6Prefixes []awsEntry `json:"ipv6_prefixes"`
}

type awsEntry struct {
	IPPrefix   string `json:"ip_prefix"`
	IPv6Prefix string `json:"ipv6_prefix"`
	Region     string `json:"region"`
	Service    string `json:"service"`
}

func decodeAWS(data []byte) ([]Owner, error) {
	var f awsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	v4, err := awsEntries("prefixes", "ip_prefix", f.Prefixes, 4)
	if err != nil {
		return nil, err
	}
	v6, err := awsEntries("ipv6_prefixes", "ipv6_prefix", f.IPv6Prefixes, 6)
	return append(v4, v6...), err
}

func awsEntries(list, key string, entries []awsEntry, version int) ([]Owner, error) {
	owners := make([]Owner, 0, len(entries))
	for i, e := range entries {
		prefix := e.IPPrefix
		if version == 6 {
			prefix = e.IPv6Prefix
		}
		var err error
		switch {
		case prefix == "":
			err = fmt.Errorf("no %s", key)
		case e.Region == "":
			err = errors.New("no region")
		case e.Service == "":
			err = errors.New("no service")
		}
		o := Owner{Provider: "aws", Region: strings.ToLower(e.Region), Service: e.Service}
		if o.Region == "global" {
			o.Region = ""
		}
		if err == nil {
			o.Prefix, err = parseCIDR(prefix, version)
		}
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", list, i, err)
		}
		owners = append(owners, o)
	}
	return owners, nil
}

type googleFile struct {
	Prefixes []googleEntry `json:"prefixes"`
}

type googleEntry struct {
	IPv4Prefix string  `json:"ipv4Prefix"`
	IPv6Prefix string  `json:"ipv6Prefix"`
	Service    string  `json:"service"`
	Scope      *string `json:"scope"`
}

// decodeGoogle reads cloud.json (every entry has a scope, the region) and
// goog.json (no entry has one: all of Google's addresses, Cloud or not).
// Both are provider "gcp"; goog.json's owners have no region.
func decodeGoogle(data []byte) ([]Owner, error) {
	var f googleFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	scoped := false
	for _, e := range f.Prefixes {
		scoped = scoped || e.Scope != nil
	}
	owners := make([]Owner, 0, len(f.Prefixes))
	for i, e := range f.Prefixes {
		o, err := googleOwner(e, scoped)
		if err != nil {
			return nil, fmt.Errorf("prefixes[%d]: %w", i, err)
		}
		owners = append(owners, o)
	}
	return owners, nil
}

func googleOwner(e googleEntry, scoped bool) (Owner, error) {
	o := Owner{Provider: "gcp", Service: e.Service}
	if scoped {
		if e.Scope == nil || *e.Scope == "" {
			return o, errors.New("no scope, while other entries have one")
		}
		if o.Region = strings.ToLower(*e.Scope); o.Region == "global" {
			o.Region = ""
		}
	}
	var err error
	switch {
	case e.IPv4Prefix != "" && e.IPv6Prefix != "":
		err = errors.New("both ipv4Prefix and ipv6Prefix; want one")
	case e.IPv4Prefix != "":
		o.Prefix, err = parseCIDR(e.IPv4Prefix, 4)
	case e.IPv6Prefix != "":
		o.Prefix, err = parseCIDR(e.IPv6Prefix, 6)
	default:
		err = errors.New("neither ipv4Prefix nor ipv6Prefix")
	}
	return o, err
}

type azureFile struct {
	Values []azureTag `json:"values"`
}

type azureTag struct {
	Name       string `json:"name"`
	Properties *struct {
		Region          string   `json:"region"`
		AddressPrefixes []string `json:"addressPrefixes"`
	} `json:"properties"`
}

// decodeAzure reads a service tags file. The service is the tag's name
// without its region suffix: "Storage.EastUS" in region eastus is service
// "Storage"; "AzureFrontDoor.Frontend" keeps its whole name.
func decodeAzure(data []byte) ([]Owner, error) {
	var f azureFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	var owners []Owner
	for i, tag := range f.Values {
		if tag.Name == "" || tag.Properties == nil {
			return nil, fmt.Errorf("values[%d]: no name or no properties", i)
		}
		region := strings.ToLower(tag.Properties.Region)
		service := tag.Name
		if base, suffix, ok := strings.Cut(tag.Name, "."); ok && strings.EqualFold(suffix, region) {
			service = base
		}
		o := Owner{Provider: "azure", Region: region, Service: service}
		field := fmt.Sprintf("values[%d] (%s): addressPrefixes", i, tag.Name)
		tagOwners, err := cidrs(field, tag.Properties.AddressPrefixes, 0, o)
		if err != nil {
			return nil, err
		}
		owners = append(owners, tagOwners...)
	}
	return owners, nil
}

type cloudflareFile struct {
	Result *struct {
		IPv4 []string `json:"ipv4_cidrs"`
		IPv6 []string `json:"ipv6_cidrs"`
	} `json:"result"`
	Success bool            `json:"success"`
	Errors  json.RawMessage `json:"errors"`
}

// decodeCloudflare reads the answer of https://api.cloudflare.com/client/v4/ips.
func decodeCloudflare(data []byte) ([]Owner, error) {
	var f cloudflareFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	if !f.Success {
		return nil, fmt.Errorf("the API answered success=false, errors: %s", f.Errors)
	}
	if f.Result == nil {
		return nil, errors.New("no result")
	}
	o := Owner{Provider: "cloudflare"}
	return twoLists("result.ipv4_cidrs", f.Result.IPv4, "result.ipv6_cidrs", f.Result.IPv6, o)
}

type fastlyFile struct {
	Addresses     []string `json:"addresses"`
	IPv6Addresses []string `json:"ipv6_addresses"`
}

// decodeFastly reads https://api.fastly.com/public-ip-list.
func decodeFastly(data []byte) ([]Owner, error) {
	var f fastlyFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	o := Owner{Provider: "fastly"}
	return twoLists("addresses", f.Addresses, "ipv6_addresses", f.IPv6Addresses, o)
}

func twoLists(name4 string, list4 []string, name6 string, list6 []string, o Owner) ([]Owner, error) {
	v4, err := cidrs(name4, list4, 4, o)
	if err != nil {
		return nil, err
	}
	v6, err := cidrs(name6, list6, 6, o)
	return append(v4, v6...), err
}
