package config

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// userDB is /etc/passwd and /etc/group, read once per parse. Reading the
// files directly (as os/user does without cgo) keeps resolution the same in
// a static binary and lets tests supply their own files.
type userDB struct {
	users  []passwdEntry
	groups []groupEntry
	err    error // why the files could not be read; reported on first use
}

type passwdEntry struct {
	name     string
	uid, gid uint32
	home     string
}

type groupEntry struct {
	name    string
	gid     uint32
	members []string
}

func loadUserDB(passwdFile, groupFile string) *userDB {
	db := &userDB{}
	if data, err := os.ReadFile(passwdFile); err != nil {
		db.err = fmt.Errorf("read users: %w", err)
	} else {
		db.users = parsePasswd(data)
	}
	if data, err := os.ReadFile(groupFile); err != nil {
		if db.err == nil {
			db.err = fmt.Errorf("read groups: %w", err)
		}
	} else {
		db.groups = parseGroup(data)
	}
	return db
}

func parsePasswd(data []byte) []passwdEntry {
	var out []passwdEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 7 || strings.HasPrefix(f[0], "#") {
			continue
		}
		uid, err1 := strconv.ParseUint(f[2], 10, 32)
		gid, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, passwdEntry{name: f[0], uid: uint32(uid), gid: uint32(gid), home: f[5]})
	}
	return out
}

func parseGroup(data []byte) []groupEntry {
	var out []groupEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 4 || strings.HasPrefix(f[0], "#") {
			continue
		}
		gid, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			continue
		}
		g := groupEntry{name: f[0], gid: uint32(gid)}
		if f[3] != "" {
			g.members = strings.Split(f[3], ",")
		}
		out = append(out, g)
	}
	return out
}

func (db *userDB) byName(name string) (passwdEntry, bool) {
	for _, u := range db.users {
		if u.name == name {
			return u, true
		}
	}
	return passwdEntry{}, false
}

func (db *userDB) byUID(uid uint32) (passwdEntry, bool) {
	for _, u := range db.users {
		if u.uid == uid {
			return u, true
		}
	}
	return passwdEntry{}, false
}

// lookupGroup resolves a group name or gid; a number is accepted without a
// group entry, since a gid needs no name.
func (db *userDB) lookupGroup(g string) (uint32, error) {
	if n, err := strconv.ParseUint(g, 10, 32); err == nil {
		return uint32(n), nil
	}
	for _, e := range db.groups {
		if e.name == g {
			return e.gid, nil
		}
	}
	if db.err != nil {
		return 0, fmt.Errorf("unknown group %q (%v); accepted: a group in /etc/group or a gid", clip(g), db.err)
	}
	return 0, fmt.Errorf("unknown group %q; accepted: a group in /etc/group or a gid", clip(g))
}

// lookupUser resolves `name`, `uid`, `uid:gid` or `name:group`.
func (db *userDB) lookupUser(v string) (*User, error) {
	const accepted = "accepted: a user in /etc/passwd (name or uid), or uid:gid"
	uname, gname, hasGroup := strings.Cut(v, ":")
	if uname == "" || (hasGroup && gname == "") {
		return nil, fmt.Errorf("invalid user %q; %s", clip(v), accepted)
	}
	var e passwdEntry
	found := false
	if n, err := strconv.ParseUint(uname, 10, 32); err == nil {
		e, found = db.byUID(uint32(n))
		if !found {
			e = passwdEntry{uid: uint32(n)}
		}
	} else {
		e, found = db.byName(uname)
		if !found {
			if db.err != nil {
				return nil, fmt.Errorf("unknown user %q (%v); %s", clip(uname), db.err, accepted)
			}
			return nil, fmt.Errorf("unknown user %q; %s", clip(uname), accepted)
		}
	}
	u := &User{Name: v, UID: e.uid, GID: e.gid, Home: e.home, Login: e.name}
	if hasGroup {
		gid, err := db.lookupGroup(gname)
		if err != nil {
			return nil, err
		}
		u.GID = gid
	} else if !found {
		return nil, fmt.Errorf("uid %s has no entry in /etc/passwd, so it has no group; %s", uname, accepted)
	}
	if !found {
		u.Login = uname
	}
	if u.Home == "" {
		u.Home = "/"
	}
	// Supplementary groups as initgroups(3) computes them: the primary
	// group plus every group that lists the login name.
	u.Groups = []uint32{u.GID}
	if found {
		for _, g := range db.groups {
			if g.gid == u.GID {
				continue
			}
			for _, m := range g.members {
				if m == e.name {
					u.Groups = append(u.Groups, g.gid)
					break
				}
			}
		}
	}
	return u, nil
}

// lookupOwner resolves a `file_owner` of user[:group]; without a group the
// files keep the group they get (GID -1).
func (db *userDB) lookupOwner(v string) (*Owner, error) {
	uname, gname, hasGroup := strings.Cut(v, ":")
	const accepted = "accepted: user or user:group, each a name or a number"
	if uname == "" || (hasGroup && gname == "") {
		return nil, fmt.Errorf("invalid owner %q; %s", clip(v), accepted)
	}
	o := &Owner{GID: -1}
	if n, err := strconv.ParseUint(uname, 10, 32); err == nil {
		o.UID = int(n)
	} else if e, ok := db.byName(uname); ok {
		o.UID = int(e.uid)
	} else {
		return nil, fmt.Errorf("unknown user %q; %s", clip(uname), accepted)
	}
	if hasGroup {
		gid, err := db.lookupGroup(gname)
		if err != nil {
			return nil, err
		}
		o.GID = int(gid)
	}
	return o, nil
}
