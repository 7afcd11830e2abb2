// Package wcag computes WCAG 2 colour contrast, so that every page outlast
// renders (the status page, the audit report) can be held to the 4.5:1 that
// normal text needs, in tests rather than by eye.
package wcag

import (
	"fmt"
	"math"
	"strconv"
)

// AA is the contrast normal text needs (WCAG 2, success criterion 1.4.3).
const AA = 4.5

// Luminance is the relative luminance of a "#rrggbb" colour, 0 (black) to 1 (white).
func Luminance(hex string) (float64, error) {
	if len(hex) != 7 || hex[0] != '#' {
		return 0, fmt.Errorf("wcag: colour %q is not #rrggbb", hex)
	}
	var ch [3]float64
	for i := range ch {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return 0, fmt.Errorf("wcag: colour %q: %w", hex, err)
		}
		c := float64(v) / 255
		if c <= 0.03928 {
			ch[i] = c / 12.92
		} else {
			ch[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*ch[0] + 0.7152*ch[1] + 0.0722*ch[2], nil
}

// Contrast is the contrast ratio of two "#rrggbb" colours, 1 to 21, in either order.
func Contrast(a, b string) (float64, error) {
	la, err := Luminance(a)
	if err != nil {
		return 0, err
	}
	lb, err := Luminance(b)
	if err != nil {
		return 0, err
	}
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05), nil
}
