package providerwire

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
)

func TestLostNotice(t *testing.T) {
	ev := &Instance{ClassName: "T_Event"}
	num := func(v *Value) *Instance {
		return &Instance{ClassName: "__eventqueueoverflowevent", Properties: []*PropertyValue{{Name: "numberofevents", Value: v}}}
	}
	for _, c := range []struct {
		name  string
		m     *Instance
		ok    bool
		n     uint64
		first *Instance
	}{
		{"nil", nil, false, 0, nil},
		{"an event", ev, false, 0, nil},
		{"made by LostNotice", LostNotice(7, ev), true, 7, ev},
		{"without the first", LostNotice(1, nil), true, 1, nil},
		{"any case, signed", num(&Value{Kind: &Value_Signed{Signed: 4}}), true, 4, nil},
		{"negative", num(&Value{Kind: &Value_Signed{Signed: -4}}), true, 0, nil},
		{"a string", num(&Value{Kind: &Value_Text{Text: "4"}}), true, 0, nil},
		{"no value", num(nil), true, 0, nil},
	} {
		n, first, ok := ParseLostNotice(c.m)
		if ok != c.ok || n != c.n || first != c.first {
			t.Errorf("%s: %d, %v, %v; want %d, %v, %v", c.name, n, first, ok, c.n, c.first, c.ok)
		}
	}
}

// What a provider sends is parsed without a panic; a notice is recognised by
// its class alone, and what LostNotice makes parses back to its count.
func FuzzLostNotice(f *testing.F) {
	for _, m := range []*Instance{LostNotice(7, &Instance{ClassName: "T_Event"}), LostNotice(1, nil), {ClassName: "T_Event"}} {
		b, _ := proto.Marshal(m)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Instance
		if proto.Unmarshal(b, &m) != nil {
			return
		}
		n, first, ok := ParseLostNotice(&m)
		if ok != strings.EqualFold(m.ClassName, LostEventsClass) {
			t.Fatalf("class %q: notice %v", m.ClassName, ok)
		}
		if !ok {
			return
		}
		again, first2, ok := ParseLostNotice(LostNotice(n, first))
		if !ok || again != n || first2 != first {
			t.Fatalf("LostNotice(%d, %v) parses as %d, %v, %v", n, first, again, first2, ok)
		}
	})
}
