//go:build linux

package host

import (
	"slices"
	"testing"
)

func TestServiceMappings(t *testing.T) {
	for _, c := range []struct{ active, freezer, state, status string }{
		{"active", "running", "Running", "OK"},
		{"reloading", "", "Running", "OK"},
		{"active", "frozen", "Paused", "OK"},
		{"active", "freezing", "Pause Pending", "OK"},
		{"active", "thawing", "Continue Pending", "OK"},
		{"activating", "", "Start Pending", "Starting"},
		{"deactivating", "", "Stop Pending", "Stopping"},
		{"inactive", "", "Stopped", "OK"},
		{"failed", "", "Stopped", "Error"},
		{"maintenance", "", "Unknown", "OK"},
		{"", "", "Unknown", "Unknown"},
	} {
		if got := serviceState(c.active, c.freezer); got != c.state {
			t.Errorf("serviceState(%q, %q) = %q, want %q", c.active, c.freezer, got, c.state)
		}
		if got := serviceStatus(c.active); got != c.status {
			t.Errorf("serviceStatus(%q) = %q, want %q", c.active, got, c.status)
		}
	}
	for in, want := range map[string]string{
		"enabled": "Auto", "enabled-runtime": "Auto", "masked": "Disabled", "masked-runtime": "Disabled",
		"disabled": "Manual", "static": "Manual", "indirect": "Manual", "generated": "Manual",
		"transient": "Manual", "linked": "Manual", "alias": "Manual", "": "",
	} {
		if got := startMode(in); got != want {
			t.Errorf("startMode(%q) = %q, want %q", in, got, want)
		}
	}
	for _, c := range []struct {
		result         string
		status         int32
		ran            bool
		code, specific uint32
		ok             bool
	}{
		{"", 0, false, 0, 0, false},
		{"success", 0, true, 0, 0, true},
		{"success", 0, false, 1077, 0, true},
		{"exit-code", 3, true, 1066, 3, true},
		{"signal", 0, true, 1067, 0, true},
		{"timeout", 0, true, 1067, 0, true},
		{"core-dump", 0, true, 1067, 0, true},
	} {
		code, specific, ok := exitCodes(c.result, c.status, c.ran)
		if code != c.code || specific != c.specific || ok != c.ok {
			t.Errorf("exitCodes(%q, %d, %v) = %d, %d, %v", c.result, c.status, c.ran, code, specific, ok)
		}
	}
	for _, c := range []struct {
		in   any
		want []string
	}{
		{[][]any{{"/bin/sleep", []string{"sleep", "60"}, false}}, []string{"/bin/sleep", "60"}},
		{[][]any{{"/bin/true", []string{}, false}}, []string{"/bin/true"}},
		{[][]any{}, nil},
		{"garbage", nil},
		{[][]any{{42, nil}}, nil},
	} {
		if got := execStart(c.in); !slices.Equal(got, c.want) {
			t.Errorf("execStart(%v) = %q, want %q", c.in, got, c.want)
		}
	}
	for name, ok := range map[string]bool{"ssh": true, "ssh.service": true, "": false, "a/b": false, "x\x00": false, "getty@": false, "getty@tty1": true} {
		if got := validServiceName(name); got != ok {
			t.Errorf("validServiceName(%q) = %v", name, got)
		}
	}
}
