package cimom

import (
	"math"

	"github.com/gowbem/gowbem/cim"
)

// RaiseCreated hands the event engine the creation of insts in ns as a
// committed transaction's changes, without the store: the engine's own work
// (BenchmarkEventDelivery). The instances become the events'.
func RaiseCreated(om *ObjectManager, ns string, insts []*cim.Instance) {
	changes := make([]change, len(insts))
	for i, inst := range insts {
		changes[i] = change{kind: changeInstanceCreated, ns: ns, inst: inst, owned: true}
	}
	om.events.dispatch(math.MaxUint64, changes)
}
