package wql

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gowbem/gowbem/cim"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`SELECT * FROM Disk WHERE FreeSpace < 2097152`,
		`SELECT Name, Size FROM Disk WHERE Name LIKE "%a[_b-d]%" AND NOT (Temp > -5 OR Ratio <= 1.5e3)`,
		`SELECT * FROM Disk WHERE Info.Label = 'x\'y' AND Info ISA "SubInfo" AND VolumeName IS NOT NULL`,
		`SELECT * FROM Disk WHERE __CLASS = "NetDisk" OR __THIS ISA 'Disk' AND Compressed = TRUE`,
		`SELECT * FROM Disk WHERE Created > "20240101120000.000000+000" AND Letter = "c" AND Owner = 'P.N=1'`,
		`SELECT * FROM meta_class WHERE __this ISA "Win32_Process"`,
		`ASSOCIATORS OF {Win32_LogicalDisk.DeviceID="C:"} WHERE ResultClass = Win32_Directory KeysOnly`,
		`REFERENCES OF {A.K="x\"}y"} WHERE Role = R ClassDefsOnly`,
		`SELECT * FROM __InstanceCreationEvent WITHIN 0.5 WHERE TargetInstance ISA "Win32_Process" GROUP WITHIN 10 BY TargetInstance.Name HAVING NumberOfEvents > 5`,
		`select a.b.c from x where 0x1F = y and -3 != z`,
		`SELECT * FROM C WHERE a = 1e21 OR b = NULL`,
	} {
		f.Add(s)
	}
	fx := newFixture(f)
	disk, _ := fx.schema.Class("Disk")
	f.Fuzz(func(t *testing.T, text string) {
		q, err := Parse(text)
		if err != nil {
			if e := cim.AsError(err); e.Err != nil || !e.Status.Failed() || e.Description == "" {
				t.Fatalf("Parse(%q): bad error %#v", text, err)
			}
			return
		}
		checkRoundTrip(t, text, q)
		switch q := q.(type) {
		case *SelectQuery:
			// Compile the WHERE against a real class whatever the FROM says.
			flt, err := compile(q, disk, fx.schema, nil)
			if err == nil {
				for _, inst := range fx.insts {
					if flt.Match(inst) {
						flt.Project(inst)
					}
				}
			}
			if ev, err := CompileEvent(q, fx.schema); err == nil {
				ev.Having(3)
			}
		case *SchemaQuery:
			if cf, err := CompileSchema(q, fx.schema); err == nil {
				for _, c := range fx.schema.classes {
					cf.Match(c)
				}
			}
		}
	})
}

// likeRegexp translates an ASCII LIKE pattern into a regular expression, as an
// independent statement of the rules.
func likeRegexp(pat string) (*regexp.Regexp, bool) {
	var b strings.Builder
	b.WriteString(`(?is)\A`)
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; c {
		case '%':
			b.WriteString(`.*`)
		case '_':
			b.WriteString(`.`)
		case '[':
			j := i + 1
			neg := j < len(pat) && pat[j] == '^'
			if neg {
				j++
			}
			start := j
			if j < len(pat) && pat[j] == ']' {
				j++
			}
			for j < len(pat) && pat[j] != ']' {
				j++
			}
			if j >= len(pat) {
				return nil, false
			}
			body := pat[start:j]
			b.WriteString("[")
			if neg {
				b.WriteString("^")
			}
			for k := 0; k < len(body); k++ {
				if k+2 < len(body) && body[k+1] == '-' {
					if body[k] > body[k+2] {
						b.WriteString(`&&`) // an empty range: make sure it matches nothing
						b.Reset()
						return nil, false
					}
					b.WriteString(regexp.QuoteMeta(string(body[k])) + "-" + regexp.QuoteMeta(string(body[k+2])))
					k += 2
					continue
				}
				b.WriteString(`\x` + hex2(body[k]))
			}
			b.WriteString("]")
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`\z`)
	re, err := regexp.Compile(b.String())
	return re, err == nil
}

func hex2(c byte) string {
	const h = "0123456789abcdef"
	return string([]byte{h[c>>4], h[c&15]})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || s[i] < 0x20 {
			return false
		}
	}
	return true
}

func FuzzLike(f *testing.F) {
	for _, s := range [][2]string{
		{"%notepad%", "C:\\Windows\\notepad.exe"}, {"[a-f]_%", "Bcd"}, {"[^a]%", "abc"},
		{"[_]%", "_x"}, {"%[%]", "100%"}, {"a%b%c%d", "aXbXcXd"}, {"[]]", "]"}, {"[a-]", "-"},
		{"%%_%", "é"}, {"[", "["}, {"É%", "éa"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pat, s string) {
		p, err := compileLike(pat)
		if err != nil {
			if cim.StatusOf(err) != cim.WBEM_E_INVALID_QUERY {
				t.Fatalf("compileLike(%q): %v", pat, err)
			}
			return
		}
		got := p.Match(s)
		if isASCII(pat) && isASCII(s) {
			if re, ok := likeRegexp(pat); ok {
				if want := re.MatchString(s); got != want {
					t.Fatalf("%q LIKE %q = %v, regexp %s says %v", s, pat, got, re, want)
				}
			}
		}
	})
}
