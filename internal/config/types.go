// Package config reads services.conf (SPEC §2) into validated, fully
// defaulted values. Every other package consumes these types; none of them
// parses configuration text itself.
package config

import (
	"os"
	"syscall"
	"time"

	"github.com/supervise/supervise/internal/cron"
)

// Config is a parsed, validated and defaulted services.conf.
type Config struct {
	File      string // path as given to Load, used in FILE:LINE messages
	Supervise Supervise
	Services  []*Service // in file order
	Logfiles  []*Logfile // in file order
}

// Supervise holds the [supervise] section.
type Supervise struct {
	Control         string
	ControlGroup    string // group name or gid as written; "" when unset
	ControlGID      int    // resolved gid; -1 when unset
	LogDir          string
	ShutdownTimeout time.Duration
	DiskMinFree     Amount
	DiskWarn        Amount // always a percentage of the filesystem in practice
	EventCommand    []string
	Metrics         string // HOST:PORT; "" when unset
}

// Amount is a byte count or a percentage of a filesystem's size.
type Amount struct {
	Bytes     int64
	Percent   float64 // meaningful when IsPercent
	IsPercent bool
}

// Of resolves the amount against a filesystem of total bytes.
func (a Amount) Of(total int64) int64 {
	if a.IsPercent {
		return int64(float64(total) * a.Percent / 100)
	}
	return a.Bytes
}

// Restart is a service's restart policy.
type Restart int

const (
	RestartOnFailure Restart = iota // non-zero exit or killed by a signal
	RestartAlways
	RestartNever
)

// User is a resolved `user =` value.
type User struct {
	Name   string // as written
	UID    uint32
	GID    uint32
	Groups []uint32 // supplementary groups
	Home   string   // HOME; "/" when the passwd entry has none
	Login  string   // USER and LOGNAME; the uid as text when there is no passwd entry
}

// Service is one [service NAME] section with [defaults] applied.
type Service struct {
	Name string
	Line int // line of the section header

	Command      []string // argv, already split
	Directory    string   // "" means supervise's cwd
	User         *User    // nil means supervise's own user
	Env          []string // KEY=VALUE from `env`, in file order
	EnvFile      string   // "" when unset; read at each start
	GPUs         string   // "" inherit, "all", "none", or a list such as "0,1"
	TTY          bool
	Restart      Restart
	StartSecs    time.Duration
	Backoff      time.Duration
	BackoffMax   time.Duration
	MaxRestarts  int // 0 = never give up
	StopSignal   syscall.Signal
	StopTimeout  time.Duration
	ReloadSignal syscall.Signal
	After        []string
	Oneshot      bool
	Schedule     *cron.Schedule // nil unless a cron job
	Main         bool
	Autostart    bool

	Log LogPolicy
}

// LogMode says where a service's output goes.
type LogMode int

const (
	LogFile    LogMode = iota // Path
	LogOff                    // discarded
	LogConsole                // supervise's stdout, prefixed "NAME | "
)

// Period is a time-based rotation boundary in local time.
type Period int

const (
	PeriodNever Period = iota
	PeriodHourly
	PeriodDaily
	PeriodWeekly
)

// Compression is the archive format.
type Compression int

const (
	CompressNone Compression = iota
	CompressGzip
	CompressZstd
)

// Timestamps is the per-line prefix format.
type Timestamps int

const (
	TimestampsNone    Timestamps = iota
	TimestampsRFC3339            // 2026-11-28T21:45:00.123Z
	TimestampsUnix               // 1795902300.123
)

// Owner is a resolved `file_owner`.
type Owner struct {
	UID int
	GID int // -1 keeps the group
}

// LogPolicy holds every log key of SPEC §2 after defaulting.
type LogPolicy struct {
	Mode             LogMode
	Path             string // absolute live-file path when Mode == LogFile (services); "" for [logfile]
	StderrSeparate   bool   // NAME.err.log beside Path
	Console          bool
	RotateSize       int64 // 0: never by size
	RotateEvery      Period
	Keep             int
	MaxAge           time.Duration // 0: no limit
	MaxTotal         int64         // 0: no cap
	Compress         Compression
	DelayCompress    bool
	IfEmpty          bool
	DateExt          bool
	FileMode         os.FileMode
	FileOwner        *Owner // nil: supervise's user
	Timestamps       Timestamps
	CollapseProgress bool // progress = collapse
	ProgressInterval time.Duration
	StripANSI        bool
	MaxLine          int
}

// Method is how a [logfile] is rotated.
type Method int

const (
	MethodRename       Method = iota // rename, then signal Service
	MethodCopyTruncate               // copy, then truncate in place
)

// Logfile is one [logfile NAME] section: a file a program writes itself.
type Logfile struct {
	Name       string
	Line       int
	Path       string // a file or a glob
	Method     Method
	Service    string         // "" when unset
	Signal     syscall.Signal // default SIGHUP
	CheckEvery time.Duration
	Log        LogPolicy // rotation/retention keys; Path, StderrSeparate, Console unused
}
