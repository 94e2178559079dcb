package cim

import "testing"

// Every CIM status code DSP0200 defines maps to a WBEM status that maps back
// to it, except the codes WMI has no own status for.
func TestCIMStatusRoundTrip(t *testing.T) {
	merged := map[CIMStatus]CIMStatus{
		CIM_ERR_UNEXPECTED_RESPONSE:                 CIM_ERR_FAILED,
		CIM_ERR_INVALID_RESPONSE_DESTINATION:        CIM_ERR_FAILED,
		CIM_ERR_NAMESPACE_NOT_EMPTY:                 CIM_ERR_FAILED,
		CIM_ERR_INVALID_ENUMERATION_CONTEXT:         CIM_ERR_INVALID_PARAMETER,
		CIM_ERR_INVALID_OPERATION_TIMEOUT:           CIM_ERR_INVALID_PARAMETER,
		CIM_ERR_PULL_HAS_BEEN_ABANDONED:             CIM_ERR_FAILED,
		CIM_ERR_PULL_CANNOT_BE_ABANDONED:            CIM_ERR_FAILED,
		CIM_ERR_FILTERED_ENUMERATION_NOT_SUPPORTED:  CIM_ERR_NOT_SUPPORTED,
		CIM_ERR_CONTINUATION_ON_ERROR_NOT_SUPPORTED: CIM_ERR_NOT_SUPPORTED,
	}
	for c := CIM_ERR_SUCCESS; c <= CIM_ERR_SERVER_IS_SHUTTING_DOWN; c++ {
		want := c
		if m, ok := merged[c]; ok {
			want = m
		}
		if got := c.Status().CIMStatus(); got != want {
			t.Errorf("%v → %v → %v, want %v", c, c.Status(), got, want)
		}
		if c.String() == "" || c.String()[:8] != "CIM_ERR_" {
			t.Errorf("code %d has name %q", int(c), c.String())
		}
	}
	for _, tc := range []struct {
		s    Status
		want CIMStatus
	}{
		{WBEM_S_FALSE, CIM_ERR_SUCCESS},
		{WBEM_E_NOT_FOUND, CIM_ERR_NOT_FOUND},
		{WBEM_E_ILLEGAL_NULL, CIM_ERR_INVALID_PARAMETER},
		{WBEM_E_INVALID_QUERY_TYPE, CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED},
		{WBEM_E_PROVIDER_FAILURE, CIM_ERR_FAILED},
	} {
		if got := tc.s.CIMStatus(); got != tc.want {
			t.Errorf("%v.CIMStatus() = %v, want %v", tc.s, got, tc.want)
		}
	}
	if s := CIMStatus(99).String(); s != "CIM status 99" || CIMStatus(99).Status() != WBEM_E_FAILED {
		t.Errorf("unknown code: %q, %v", s, CIMStatus(99).Status())
	}
}
