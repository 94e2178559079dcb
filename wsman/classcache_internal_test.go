package wsman

import (
	"testing"

	"github.com/gowbem/gowbem/cim"
)

func TestClassCacheKeysAndBound(t *testing.T) {
	c := newClassCache(2)
	a, b := &cim.Class{Name: "A"}, &cim.Class{Name: "B"}
	c.put(`root\cimv2`, a)
	if got, ok := c.get(`ROOT\CIMv2`, "a"); !ok || got != a {
		t.Error("names and namespaces are not case-insensitive")
	}
	if _, ok := c.get(`root\other`, "A"); ok {
		t.Error("a class of another namespace was served")
	}
	c.put(`root\cimv2`, b)
	c.put(`root\cimv2`, &cim.Class{Name: "C"}) // full: emptied first
	if _, ok := c.get(`root\cimv2`, "A"); ok || len(c.classes) != 1 {
		t.Errorf("a full cache kept %d classes", len(c.classes))
	}
	c.forget()
	if _, ok := c.get(`root\cimv2`, "C"); ok {
		t.Error("forget kept a class")
	}
}
