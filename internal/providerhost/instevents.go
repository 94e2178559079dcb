package providerhost

import (
	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/gowbem/gowbem/provider"
)

// instanceEvent hands an intrinsic event a provider process sent to sink,
// the object manager's, which makes the __InstanceCreationEvent,
// __InstanceModificationEvent or __InstanceDeletionEvent of it as it does
// for a linked-in provider (and checks it against the subscription's WHERE
// clause). The instances are decoded with the repository's classes: the
// subscription's target or a subclass of it. ended says the subscription
// has ended; err (WBEM_E_PROVIDER_FAILURE) that the message was malformed.
func (x *Proxy) instanceEvent(m *providerwire.InstanceEvent, req *provider.EventRequest, sink provider.EventSink) (ended bool, err error) {
	if req.Target == nil {
		return false, x.reg.errorf(cim.WBEM_E_PROVIDER_FAILURE, "provider %q sent an instance event on the subscription to %s, which is to extrinsic events", x.reg.Name, req.Class.Name)
	}
	inst, err := x.decodeTarget(m.GetInstance(), req)
	if err != nil {
		return false, err
	}
	var prev *cim.Instance
	if m.GetPrevious() != nil {
		if prev, err = x.decodeTarget(m.Previous, req); err != nil {
			return false, err
		}
	}
	switch m.GetKind() {
	case providerwire.InstanceEvent_CREATED:
		err = sink.InstanceCreated(inst)
	case providerwire.InstanceEvent_DELETED:
		err = sink.InstanceDeleted(inst)
	case providerwire.InstanceEvent_MODIFIED:
		if prev == nil {
			return false, x.reg.errorf(cim.WBEM_E_PROVIDER_FAILURE, "provider %q sent a modification of an instance of %s without the previous instance", x.reg.Name, inst.ClassName())
		}
		err = sink.InstanceModified(prev, inst)
	default:
		return false, x.reg.errorf(cim.WBEM_E_PROVIDER_FAILURE, "provider %q sent an instance event of kind %d, which is none of created, modified, deleted", x.reg.Name, m.GetKind())
	}
	return err != nil, nil
}

// decodeTarget decodes an instance an intrinsic event is about: of the
// subscription's target class or of a subclass of it, whose definition comes
// from the repository, never from the provider.
func (x *Proxy) decodeTarget(m *providerwire.Instance, req *provider.EventRequest) (*cim.Instance, error) {
	if m == nil {
		return nil, x.reg.errorf(cim.WBEM_E_PROVIDER_FAILURE, "provider %q sent an instance event without its instance", x.reg.Name)
	}
	class := req.Target
	if m.ClassName != "" && !cim.EqualFold(m.ClassName, class.Name) {
		c, err := req.Lookup(m.ClassName)
		if err != nil || c == nil || !c.IsA(req.Target.Name) {
			return nil, x.reg.errorf(cim.WBEM_E_PROVIDER_FAILURE, "provider %q sent an instance event about an instance of %s, which is not a %s of the namespace", x.reg.Name, m.ClassName, req.Target.Name)
		}
		class = c
	}
	m.Class = nil
	inst, err := x.decode(m, class)
	if err == nil && inst == nil {
		err = x.reg.errorf(cim.WBEM_E_PROVIDER_FAILURE, "provider %q sent an instance event without its instance", x.reg.Name)
	}
	return inst, err
}
