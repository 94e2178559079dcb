package cim

import (
	"unicode"
	"unicode/utf8"
)

func decodeRune(s string) (rune, int) { return utf8.DecodeRuneInString(s) }

func foldRune(r rune) rune {
	if r < 0x80 {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	return unicode.ToLower(r)
}

// EqualFold reports whether two CIM names or strings are equal under WMI's
// case-insensitive comparison.
func EqualFold(a, b string) bool { return compareFold(a, b) == 0 }

// CompareFold orders two strings case-insensitively, as WMI compares strings.
func CompareFold(a, b string) int { return compareFold(a, b) }
