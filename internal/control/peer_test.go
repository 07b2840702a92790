package control

import (
	"bytes"
	"encoding/json"
	"fmt"
	"golang.org/x/sys/unix"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/supervise/supervise/internal/control/controltest"
)

const nobody = 65534

// asUser runs this test binary as a ctl client with the given credentials.
// The binary and the socket's directory are made reachable to that user.
func asUser(t *testing.T, cred *syscall.Credential, sock string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	bin := filepath.Join(filepath.Dir(sock), "ctl.test")
	if _, err := os.Stat(bin); err != nil {
		copyFile(t, os.Args[0], bin)
	}
	spec, _ := json.Marshal(struct {
		Path string
		Args []string
	}{sock, args})
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), clientEnv+"="+string(spec))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

func copyFile(t *testing.T, from, to string) {
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// openDir returns a fresh directory every user can enter.
func openDir(t *testing.T) string {
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	return dir
}

func requireRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
}

func TestSocketModes(t *testing.T) {
	requireRoot(t)
	dir := openDir(t)
	private, err := NewServer(filepath.Join(dir, "p.sock"), -1, controltest.New())
	if err != nil {
		t.Fatal(err)
	}
	defer private.Close()
	fi, _ := os.Stat(private.Path())
	if fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("mode %v, want socket 0600", fi.Mode())
	}
	const gid = 4242
	group, err := NewServer(filepath.Join(dir, "g.sock"), gid, controltest.New())
	if err != nil {
		t.Fatal(err)
	}
	defer group.Close()
	fi, _ = os.Stat(group.Path())
	if fi.Mode().Perm() != 0o660 || fi.Sys().(*syscall.Stat_t).Gid != gid {
		t.Fatalf("mode %v gid %d, want 0660 gid %d", fi.Mode(), fi.Sys().(*syscall.Stat_t).Gid, gid)
	}
	if _, err := os.Stat(filepath.Join(dir, ".g.sock.new")); !os.IsNotExist(err) {
		t.Fatal("temporary socket name left behind")
	}
}

func TestPeerCredentials(t *testing.T) {
	requireRoot(t)
	dir := openDir(t)
	const gid = 4242
	h := &harness{t: t, dir: dir, path: filepath.Join(dir, "s.sock"), served: make(chan error, 1), events: make(chan string, 100)}
	h.fake = controltest.New(services(dir)...)
	srv, err := NewServer(h.path, gid, h.fake)
	if err != nil {
		t.Fatal(err)
	}
	srv.Logf = func(f string, a ...any) { h.events <- fmt.Sprintf(f, a...) }
	h.srv = srv
	go func() { h.served <- srv.Serve() }()
	t.Cleanup(h.close)

	// Not in the group: the file mode stops nobody before the server sees it.
	code, _, errs := asUser(t, &syscall.Credential{Uid: nobody, Gid: nobody}, h.path, "status")
	if code != ExitFailed || !strings.Contains(errs, "permission denied") {
		t.Fatalf("nobody on a 0660 socket: exit %d %q", code, errs)
	}
	// In control_group, as primary or supplementary group: admitted.
	for _, cred := range []*syscall.Credential{
		{Uid: nobody, Gid: gid},
		{Uid: nobody, Gid: nobody, Groups: []uint32{100, gid}},
	} {
		code, out, errs := asUser(t, cred, h.path, "status", "web")
		if code != 0 || !strings.Contains(out, "web") {
			t.Fatalf("group member %+v: exit %d %q %q", cred, code, out, errs)
		}
	}
	// A socket made world-writable by mistake: SO_PEERCRED still refuses.
	if err := os.Chmod(h.path, 0o666); err != nil {
		t.Fatal(err)
	}
	before := len(h.fake.Calls())
	code, _, errs = asUser(t, &syscall.Credential{Uid: nobody, Gid: nobody}, h.path, "stop", "all")
	if code != ExitFailed || !strings.Contains(errs, "permission denied: uid 65534 is not root") {
		t.Fatalf("nobody past the file mode: exit %d %q", code, errs)
	}
	if len(h.fake.Calls()) != before {
		t.Fatal("a refused client reached the backend")
	}
	if ev := <-h.events; !strings.Contains(ev, "refused") {
		t.Fatalf("refusal not reported: %q", ev)
	}
	// Root is always admitted.
	if code, _, errs := h.ctl("status"); code != 0 {
		t.Fatal(errs)
	}
}

func TestAuthorizeOwnUIDWithoutGroup(t *testing.T) {
	s := &Server{uid: 1000, gid: -1, procRoot: t.TempDir()}
	for uid, ok := range map[uint32]bool{0: true, 1000: true, 1001: false} {
		err := s.authorize(&ucred{Uid: uid, Gid: 5, Pid: 1})
		if (err == nil) != ok {
			t.Errorf("uid %d: %v", uid, err)
		}
	}
	// Supplementary groups come from /proc/PID/status.
	s.gid = 77
	os.MkdirAll(filepath.Join(s.procRoot, "42"), 0o755)
	os.WriteFile(filepath.Join(s.procRoot, "42", "status"), []byte("Name:\tx\nGroups:\t5 77 9\n"), 0o644)
	if err := s.authorize(&ucred{Uid: 1001, Gid: 5, Pid: 42}); err != nil {
		t.Errorf("supplementary group: %v", err)
	}
	if err := s.authorize(&ucred{Uid: 1001, Gid: 5, Pid: 43}); err == nil {
		t.Error("unknown pid admitted")
	}
}

type ucred = unix.Ucred
