package wbem

import "testing"

func TestCheckFlagsNamesTheBadBits(t *testing.T) {
	err := checkFlags(OpGetObject, WBEM_FLAG_USE_AMENDED_QUALIFIERS|0x40F00000, false)
	want := "WBEM_E_INVALID_PARAMETER (0x80041008): flags 0x40F00000 are not valid for GetObject"
	if err == nil || err.Error() != want {
		t.Fatalf("checkFlags = %v, want %s", err, want)
	}
}
