package daemon

import (
	"io"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/auth/pam"
)

// --pam needs a build with PAM; --pam-admin-group needs --pam.
func TestPAMFlags(t *testing.T) {
	cfg, _, err := parseFlags([]string{"--pam", "wbemd", "--pam-admin-group", "wheel", "--pam-admin-group", "sudo"}, io.Discard)
	switch {
	case pam.Available && err != nil:
		t.Errorf("--pam in a build with PAM: %v", err)
	case pam.Available && (cfg.PAMService != "wbemd" || strings.Join(cfg.PAMAdminGroups, ",") != "wheel,sudo"):
		t.Errorf("--pam: %+v", cfg)
	case !pam.Available && (err == nil || !strings.Contains(err.Error(), "-tags pam")):
		t.Errorf("--pam in a build without PAM: %v", err)
	}
	if _, _, err := parseFlags([]string{"--pam-admin-group", "wheel"}, io.Discard); err == nil || !strings.Contains(err.Error(), "needs --pam") {
		t.Errorf("--pam-admin-group alone: %v", err)
	}
}
