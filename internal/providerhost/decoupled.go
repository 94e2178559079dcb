package providerhost

import "github.com/gowbem/gowbem/cim"

func (h *Host) acquireDecoupled(reg *Registration) (*proc, error) {
	return nil, reg.errorf(cim.WBEM_E_NOT_SUPPORTED, "provider %q is registered as Decoupled: decoupled providers (running applications that register themselves) are not served yet", reg.Name)
}
