package providerhost

import "github.com/gowbem/gowbem/cim"

func (h *Host) acquireDecoupled(reg *Registration) (*proc, error) {
	return nil, reg.errorf(cim.WBEM_E_NOT_SUPPORTED, "decoupled providers are not served yet")
}
