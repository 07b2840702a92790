package control

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// peerCred returns the credentials the kernel recorded for the other end
// of conn when it connected (SO_PEERCRED); the client cannot forge them.
func peerCred(conn *net.UnixConn) (*unix.Ucred, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return nil, err
	}
	return cred, cerr
}

// authorize decides whether the peer may use the socket: root, supervise's
// own uid, or a member of control_group by primary gid or by a
// supplementary group of the connecting process.
func (s *Server) authorize(cred *unix.Ucred) error {
	if cred.Uid == 0 || int(cred.Uid) == s.uid {
		return nil
	}
	if s.gid >= 0 {
		if int(cred.Gid) == s.gid {
			return nil
		}
		// The supplementary groups are not in SO_PEERCRED; /proc has them.
		// The pid cannot have been reused while its socket is still
		// connected to us unless the process handed the fd to another,
		// which could then equally act for it.
		groups, err := procGroups(s.procRoot, int(cred.Pid))
		if err == nil {
			for _, g := range groups {
				if g == s.gid {
					return nil
				}
			}
		}
	}
	if s.gid >= 0 {
		return fmt.Errorf("permission denied: uid %d is not root, uid %d or in control_group (gid %d)", cred.Uid, s.uid, s.gid)
	}
	return fmt.Errorf("permission denied: uid %d is not root or uid %d (set control_group to admit a group)", cred.Uid, s.uid)
}

// procGroups reads the supplementary groups of pid from /proc/PID/status.
func procGroups(procRoot string, pid int) ([]int, error) {
	f, err := os.Open(filepath.Join(procRoot, strconv.Itoa(pid), "status"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "Groups:")
		if !ok {
			continue
		}
		var groups []int
		for _, g := range strings.Fields(rest) {
			n, err := strconv.Atoi(g)
			if err != nil {
				return nil, fmt.Errorf("%s: bad Groups entry %q", f.Name(), g)
			}
			groups = append(groups, n)
		}
		return groups, nil
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%s: no Groups line", f.Name())
}
