package providerhost

import (
	"math"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/gowbem/gowbem/provider"
)

// lost hands a provider process's notice of lost events
// (providerwire.LostNotice) to sink, the object manager's, which tells the
// subscriber in its __EventQueueOverflowEvent. A first event that does not
// decode as an event of the subscription is left out; the count stands.
func (x *Proxy) lost(sink provider.EventSink, req *provider.EventRequest, n uint64, first *providerwire.Instance) {
	r, ok := sink.(provider.EventLossReporter)
	if !ok || n == 0 {
		return
	}
	var ev *cim.Instance
	if first != nil {
		ev, _ = x.decodeEvent(first, req)
	}
	r.EventsLost(int(min(n, math.MaxInt32)), ev)
}
