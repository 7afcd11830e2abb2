package geo

import (
	"strings"

	"outlast/internal/model"
)

// Builtin places the main regions of AWS, Google Cloud and Azure, under
// their public region names, and the main points of presence of
// Cloudflare and Fastly, under the lower-case IATA code both name their
// PoPs by ("cloudflare/fra", "fastly/lhr"). The points are the region's
// metro (or the provider's published coordinates), a few tens of
// kilometres at most from the buildings: enough to tell the nearest region
// from the next. A location no single place holds ("fastly/global") has no
// point. Provider and region are matched without regard to case.
func Builtin(loc model.Location) (Point, bool) {
	regions, ok := builtin[strings.ToLower(loc.Provider)]
	if !ok {
		return Point{}, false
	}
	p, ok := regions[strings.ToLower(loc.Region)]
	return p, ok
}

// Coordinates returns the lookup a configuration uses: the user's
// overrides first, then Builtin. The map is copied, so the caller may
// reuse it; the points are assumed validated (Point.Validate).
func Coordinates(overrides map[model.Location]Point) func(model.Location) (Point, bool) {
	own := make(map[model.Location]Point, len(overrides))
	for l, p := range overrides {
		own[model.Location{Provider: strings.ToLower(l.Provider), Region: strings.ToLower(l.Region)}] = p
	}
	return func(l model.Location) (Point, bool) {
		if p, ok := own[model.Location{Provider: strings.ToLower(l.Provider), Region: strings.ToLower(l.Region)}]; ok {
			return p, true
		}
		return Builtin(l)
	}
}

// ContinentCenter places a continent by its two-letter code as MaxMind
// and GeoNames write it (AF, AN, AS, EU, NA, OC, SA; any case): its
// geographic centroid, for areas that are a whole continent.
func ContinentCenter(code string) (Point, bool) {
	p, ok := continents[strings.ToUpper(code)]
	return p, ok
}

var continents = map[string]Point{
	"AF": {7.19, 21.09},
	"AN": {-83.36, 16.52},
	"AS": {29.84, 89.30},
	"EU": {48.69, 9.14},
	"NA": {46.07, -100.55},
	"OC": {-18.31, 138.52},
	"SA": {-14.60, -57.66},
}

// Metros several providers share, so one city has one point.
var (
	ashburn    = Point{39.04, -77.49}
	columbus   = Point{39.96, -83.00}
	montreal   = Point{45.50, -73.57}
	toronto    = Point{43.65, -79.38}
	saoPaulo   = Point{-23.55, -46.63}
	santiago   = Point{-33.45, -70.67}
	dublin     = Point{53.35, -6.26}
	london     = Point{51.51, -0.13}
	paris      = Point{48.86, 2.35}
	frankfurt  = Point{50.11, 8.68}
	zurich     = Point{47.38, 8.54}
	stockholm  = Point{59.33, 18.07}
	milan      = Point{45.46, 9.19}
	madrid     = Point{40.42, -3.70}
	warsaw     = Point{52.23, 21.01}
	tokyo      = Point{35.68, 139.69}
	osaka      = Point{34.69, 135.50}
	seoul      = Point{37.57, 126.98}
	singapore  = Point{1.35, 103.82}
	sydney     = Point{-33.87, 151.21}
	melbourne  = Point{-37.81, 144.96}
	jakarta    = Point{-6.21, 106.85}
	mumbai     = Point{19.08, 72.88}
	hongKong   = Point{22.32, 114.17}
	telAviv    = Point{32.09, 34.78}
	dubai      = Point{25.20, 55.27}
	doha       = Point{25.29, 51.53}
	johannesbg = Point{-26.20, 28.05}
	queretaro  = Point{20.59, -100.39}
)

var builtin = map[string]map[string]Point{
	"aws": {
		"us-east-1":      {38.9, -77.4}, // N. Virginia
		"us-east-2":      columbus,      // Ohio
		"us-west-1":      {37.34, -121.89},
		"us-west-2":      {45.84, -119.70}, // Oregon (Boardman)
		"ca-central-1":   montreal,
		"ca-west-1":      {51.05, -114.07}, // Calgary
		"sa-east-1":      saoPaulo,
		"mx-central-1":   queretaro,
		"eu-west-1":      dublin,
		"eu-west-2":      london,
		"eu-west-3":      paris,
		"eu-central-1":   frankfurt,
		"eu-central-2":   zurich,
		"eu-north-1":     stockholm,
		"eu-south-1":     milan,
		"eu-south-2":     {41.65, -0.88}, // Aragón (Zaragoza)
		"ap-northeast-1": tokyo,
		"ap-northeast-2": seoul,
		"ap-northeast-3": osaka,
		"ap-southeast-1": singapore,
		"ap-southeast-2": sydney,
		"ap-southeast-3": jakarta,
		"ap-southeast-4": melbourne,
		"ap-southeast-5": {3.14, 101.69}, // Malaysia (Kuala Lumpur)
		"ap-south-1":     mumbai,
		"ap-south-2":     {17.39, 78.49}, // Hyderabad
		"ap-east-1":      hongKong,
		"me-south-1":     {26.23, 50.59}, // Bahrain
		"me-central-1":   dubai,
		"il-central-1":   telAviv,
		"af-south-1":     {-33.92, 18.42}, // Cape Town
	},
	"gcp": {
		"us-central1":             {41.26, -95.86}, // Council Bluffs, Iowa
		"us-east1":                {33.20, -80.01}, // Moncks Corner, South Carolina
		"us-east4":                ashburn,
		"us-east5":                columbus,
		"us-south1":               {32.78, -96.80},  // Dallas
		"us-west1":                {45.59, -121.18}, // The Dalles, Oregon
		"us-west2":                {34.05, -118.24}, // Los Angeles
		"us-west3":                {40.76, -111.89}, // Salt Lake City
		"us-west4":                {36.17, -115.14}, // Las Vegas
		"northamerica-northeast1": montreal,
		"northamerica-northeast2": toronto,
		"southamerica-east1":      saoPaulo,
		"southamerica-west1":      santiago,
		"europe-west1":            {50.45, 3.82}, // St. Ghislain, Belgium
		"europe-west2":            london,
		"europe-west3":            frankfurt,
		"europe-west4":            {53.44, 6.83}, // Eemshaven, Netherlands
		"europe-west6":            zurich,
		"europe-west8":            milan,
		"europe-west9":            paris,
		"europe-west10":           {52.52, 13.40}, // Berlin
		"europe-west12":           {45.07, 7.69},  // Turin
		"europe-north1":           {60.57, 27.19}, // Hamina, Finland
		"europe-central2":         warsaw,
		"europe-southwest1":       madrid,
		"asia-east1":              {24.05, 120.52}, // Changhua County, Taiwan
		"asia-east2":              hongKong,
		"asia-northeast1":         tokyo,
		"asia-northeast2":         osaka,
		"asia-northeast3":         seoul,
		"asia-south1":             mumbai,
		"asia-south2":             {28.61, 77.21}, // Delhi
		"asia-southeast1":         singapore,
		"asia-southeast2":         jakarta,
		"australia-southeast1":    sydney,
		"australia-southeast2":    melbourne,
		"me-west1":                telAviv,
		"me-central1":             doha,
		"me-central2":             {26.43, 50.10}, // Dammam
		"africa-south1":           johannesbg,
	},
	"azure": {
		"eastus":             {37.37, -79.82},  // Virginia
		"eastus2":            {36.67, -78.39},  // Virginia
		"centralus":          {41.59, -93.62},  // Iowa
		"northcentralus":     {41.88, -87.63},  // Illinois
		"southcentralus":     {29.42, -98.49},  // Texas
		"westcentralus":      {40.89, -110.23}, // Wyoming
		"westus":             {37.78, -122.42}, // California
		"westus2":            {47.23, -119.85}, // Washington
		"westus3":            {33.45, -112.07}, // Arizona
		"canadacentral":      toronto,
		"canadaeast":         {46.82, -71.22}, // Quebec City
		"brazilsouth":        saoPaulo,
		"mexicocentral":      queretaro,
		"northeurope":        dublin,
		"westeurope":         {52.37, 4.90}, // Netherlands
		"uksouth":            london,
		"ukwest":             {51.48, -3.18}, // Cardiff
		"francecentral":      paris,
		"germanywestcentral": frankfurt,
		"switzerlandnorth":   zurich,
		"norwayeast":         {59.91, 10.75}, // Oslo
		"swedencentral":      {60.67, 17.14}, // Gävle
		"polandcentral":      warsaw,
		"italynorth":         milan,
		"spaincentral":       madrid,
		"eastasia":           hongKong,
		"southeastasia":      singapore,
		"japaneast":          tokyo,
		"japanwest":          osaka,
		"koreacentral":       seoul,
		"centralindia":       {18.58, 73.92}, // Pune
		"southindia":         {12.98, 80.16}, // Chennai
		"westindia":          mumbai,
		"australiaeast":      sydney,
		"australiasoutheast": melbourne,
		"southafricanorth":   johannesbg,
		"uaenorth":           dubai,
		"qatarcentral":       doha,
		"israelcentral":      telAviv,
	},
	"cloudflare": pops,
	"fastly":     pops,
}

// pops are the main CDN point-of-presence metros by IATA code, as both
// Cloudflare (colo names) and Fastly (POP codes) write them.
var pops = map[string]Point{
	"iad": ashburn,
	"ewr": {40.69, -74.17},  // Newark / New York
	"ord": {41.98, -87.90},  // Chicago
	"dfw": {32.90, -97.04},  // Dallas
	"atl": {33.64, -84.43},  // Atlanta
	"mia": {25.79, -80.29},  // Miami
	"den": {39.86, -104.67}, // Denver
	"lax": {33.94, -118.41}, // Los Angeles
	"sjc": {37.36, -121.93}, // San Jose
	"sea": {47.45, -122.31}, // Seattle
	"yyz": toronto,
	"gru": saoPaulo,
	"lhr": london,
	"ams": {52.31, 4.76},
	"fra": frankfurt,
	"cdg": paris,
	"mad": madrid,
	"arn": stockholm,
	"waw": warsaw,
	"nrt": tokyo,
	"hkg": hongKong,
	"sin": singapore,
	"bom": mumbai,
	"syd": sydney,
	"jnb": johannesbg,
}
