//go:build linux

package host

import (
	"strings"

	"github.com/gowbem/gowbem/cim"
)

// JoinCommandLine writes an argument vector as one command line, the form
// of Win32_Process.CommandLine: arguments separated by one space; an
// argument that is empty or holds a blank, a double quote or a backslash is
// put in double quotes, inside which \" and \\ stand for " and \.
// SplitCommandLine reverses it.
func JoinCommandLine(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && !strings.ContainsAny(a, " \t\n\v\f\r\"\\") {
			b.WriteString(a)
			continue
		}
		b.WriteByte('"')
		for j := 0; j < len(a); j++ {
			if a[j] == '"' || a[j] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(a[j])
		}
		b.WriteByte('"')
	}
	return b.String()
}

// SplitCommandLine splits a command line into arguments: blanks (space,
// tab, newline, vertical tab, form feed, carriage return) outside double
// quotes separate them; a quoted part may adjoin unquoted text in one
// argument ("a"b is ab); inside quotes \" and \\ are escapes and any other
// backslash is literal, as is a backslash outside quotes. An unterminated
// quote is a WBEM_E_INVALID_PARAMETER error naming its position.
func SplitCommandLine(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	in, quote := false, -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote >= 0:
			switch {
			case c == '"':
				quote = -1
			case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
				i++
				cur.WriteByte(s[i])
			default:
				cur.WriteByte(c)
			}
		case c == '"':
			in, quote = true, i
		case strings.IndexByte(" \t\n\v\f\r", c) >= 0:
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		default:
			in = true
			cur.WriteByte(c)
		}
	}
	if quote >= 0 {
		return nil, cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "command line: the double quote at byte %d is not closed", quote+1)
	}
	if in {
		args = append(args, cur.String())
	}
	return args, nil
}
