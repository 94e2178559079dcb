package cim

import "strconv"

// CIMStatus is a status code of DSP0200 (CIM operations over HTTP): what a
// CIM-XML ERROR element's CODE and a CIM_Error's CIMStatusCode hold. WMI's
// WBEM statuses are finer; Status.CIMStatus maps them down and
// CIMStatus.Status back up. The codes and both mappings are generated
// (statuscodes.go) from the table of statuses, statuscodes.txt.
type CIMStatus int

// String returns DSP0200's name of c ("CIM_ERR_NOT_FOUND"), or its number
// for a code DSP0200 does not define.
func (c CIMStatus) String() string {
	if c >= 0 && int(c) < len(cimStatusInfo) {
		return cimStatusInfo[c].name
	}
	return "CIM status " + strconv.Itoa(int(c))
}

// CIMStatus maps s to the CIM status code of DSP0200 that describes it
// best: CIM_ERR_SUCCESS for success codes, CIM_ERR_FAILED for failures
// DSP0200 has no code for.
func (s Status) CIMStatus() CIMStatus {
	if !s.Failed() {
		return CIM_ERR_SUCCESS
	}
	if c, ok := cimStatusOf(s); ok {
		return c
	}
	return CIM_ERR_FAILED
}

// Status maps c to the WBEM status it stands for, for a server that tells
// no finer one: WBEM_S_NO_ERROR for CIM_ERR_SUCCESS, WBEM_E_FAILED for a code
// DSP0200 does not define.
func (c CIMStatus) Status() Status {
	if c >= 0 && int(c) < len(cimStatusInfo) {
		return cimStatusInfo[c].status
	}
	return WBEM_E_FAILED
}
