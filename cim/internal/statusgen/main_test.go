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
	const wbem = "WBEM_S_NO_ERROR 0x0 success\nWBEM_E_FAILED 0x80041001 failure\n"
	for _, tt := range []struct{ table, want string }{
		{"WBEM_E_A 0x80041001", "want name, number and text"},
		{"WBEM_E_A 0xZZ text", `number "0xZZ"`},
		{"WBEM_E_A 0x180041001 text", "out of range"},
		{"FOO_E_A 0x80041001 text", "not a WBEM name"},
		{"WBEM_S_A 0x80041001 text", "a failure's name has _E_"},
		{"WBEM_E_A 0x1 text", "a failure's name has _E_"},
		{"WBEM_E_A 0x80041001 a\nWBEM_E_A 0x80041002 b", "WBEM_E_A twice"},
		{"WBEM_E_A 0x80041001 a\n\n# c\nWBEM_E_B 0x80041001 b", "t:4: WBEM_E_B has WBEM_E_A's number"},
		// The DSP0200 part.
		{wbem + "CIM_ERR_SUCCESS 1 WBEM_S_NO_ERROR", "is number 1, want 0"},
		{wbem + "CIM_ERR_SUCCESS 0 WBEM_S_NO_ERROR\nCIM_ERR_FAILED 2 WBEM_E_FAILED", "is number 2, want 1"},
		{wbem + "CIM_ERR_SUCCESS x WBEM_S_NO_ERROR", `number "x"`},
		{wbem + "CIM_ERR_SUCCESS 0 WBEM_S_NO_ERROR\nCIM_ERR_SUCCESS 1 WBEM_E_FAILED", "CIM_ERR_SUCCESS twice"},
		{wbem + "CIM_ERR_SUCCESS 0 WBEM_S_NOPE", "t:3: WBEM_S_NOPE is no WBEM status of the table"},
		{wbem + "CIM_ERR_FAILED 0 WBEM_E_FAILED WBEM_E_FAILED", `after "<"`},
		{wbem + "CIM_ERR_FAILED 0 WBEM_E_FAILED <", `after "<"`},
		{wbem + "CIM_ERR_FAILED 0 WBEM_E_FAILED < WBEM_E_NOPE", "WBEM_E_NOPE is no WBEM status"},
		{wbem + "CIM_ERR_FAILED 0 WBEM_E_FAILED < WBEM_S_NO_ERROR", "WBEM_S_NO_ERROR is a success"},
		{wbem + "CIM_ERR_A 0 WBEM_E_FAILED < WBEM_E_FAILED\nCIM_ERR_B 1 WBEM_E_FAILED < WBEM_E_FAILED", "t:4: WBEM_E_FAILED maps to CIM_ERR_A already"},
	} {
		_, _, err := parse("t", []byte(tt.table))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parse(%q) = %v, want an error with %q", tt.table, err, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	codes, _, err := parse("t", []byte("# comment\n\nWBEM_S_FALSE 0x1  end of   enumeration\nWBEM_E_FAILED 0x80041001 unspecified failure\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []code{{"WBEM_S_FALSE", 1, "end of enumeration"}, {"WBEM_E_FAILED", 0x80041001, "unspecified failure"}}
	if len(codes) != len(want) || codes[0] != want[0] || codes[1] != want[1] {
		t.Fatalf("parse = %v, want %v", codes, want)
	}
	_, cims, err := parse("t", []byte("WBEM_S_NO_ERROR 0 success\nWBEM_E_FAILED 0x80041001 failure\nWBEM_E_X 0x80041002 x\n"+
		"CIM_ERR_SUCCESS 0 WBEM_S_NO_ERROR\nCIM_ERR_FAILED 1 WBEM_E_FAILED < WBEM_E_FAILED WBEM_E_X\n"))
	if err != nil || len(cims) != 2 || cims[1].name != "CIM_ERR_FAILED" || cims[1].number != 1 || cims[1].status != "WBEM_E_FAILED" ||
		strings.Join(cims[1].from, " ") != "WBEM_E_FAILED WBEM_E_X" || cims[0].from != nil {
		t.Fatalf("parse = %+v, %v", cims, err)
	}
}
