package cim

import "testing"

func TestNormalNamespace(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`root\cimv2`, `root\cimv2`},
		{"root/cimv2", `root\cimv2`},
		{"/root/CIMV2/", `root\CIMV2`},
		{`\root\cimv2\`, `root\cimv2`},
		{`root/a\b`, `root\a\b`},
		{"root", "root"},
		{"", ""},
		{"/", ""},
	} {
		if got := NormalNamespace(tt.in); got != tt.want {
			t.Errorf("NormalNamespace(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
