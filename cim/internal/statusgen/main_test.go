package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedIsCurrent fails when statuscodes.go is not what the table
// generates: someone edited one without the other.
func TestGeneratedIsCurrent(t *testing.T) {
	dir := filepath.Join("..", "..")
	table, err := os.ReadFile(filepath.Join(dir, "statuscodes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := generate("statuscodes.txt", table)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "statuscodes.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("cim/statuscodes.go is not what cim/statuscodes.txt generates: run go generate ./cim")
	}
}

func TestParseRefusesBadTables(t *testing.T) {
	for _, tt := range []struct{ table, want string }{
		{"WBEM_E_A 0x80041001", "want name, number and text"},
		{"WBEM_E_A 0xZZ text", `number "0xZZ"`},
		{"WBEM_E_A 0x180041001 text", "out of range"},
		{"FOO_E_A 0x80041001 text", "not a WBEM name"},
		{"WBEM_S_A 0x80041001 text", "a failure's name has _E_"},
		{"WBEM_E_A 0x1 text", "a failure's name has _E_"},
		{"WBEM_E_A 0x80041001 a\nWBEM_E_A 0x80041002 b", "WBEM_E_A twice"},
		{"WBEM_E_A 0x80041001 a\n\n# c\nWBEM_E_B 0x80041001 b", "t:4: WBEM_E_B has WBEM_E_A's number"},
	} {
		_, err := parse("t", []byte(tt.table))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parse(%q) = %v, want an error with %q", tt.table, err, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	codes, err := parse("t", []byte("# comment\n\nWBEM_S_FALSE 0x1  end of   enumeration\nWBEM_E_FAILED 0x80041001 unspecified failure\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []code{{"WBEM_S_FALSE", 1, "end of enumeration"}, {"WBEM_E_FAILED", 0x80041001, "unspecified failure"}}
	if len(codes) != len(want) || codes[0] != want[0] || codes[1] != want[1] {
		t.Fatalf("parse = %v, want %v", codes, want)
	}
}
