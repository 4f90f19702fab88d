package clicklog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// File is an append-only log file that Reopen closes and opens again by
// name: after logrotate has moved it away (SIGHUP), writes go to a new file
// of the same name. Safe for concurrent use.
type File struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

// OpenFile opens (creating, mode 0640) the file at path for appending.
func OpenFile(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, err
	}
	return &File{path: path, f: f}, nil
}

func (l *File) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Write(p)
}

// Sync flushes the file to disk.
func (l *File) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Sync()
}

// Reopen closes the file and opens its name again. If the new open fails
// the old file stays in use, and the error is returned.
func (l *File) Reopen() error {
	f, err := os.OpenFile(l.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	l.mu.Lock()
	old := l.f
	l.f = f
	l.mu.Unlock()
	return old.Close()
}

// Close closes the file.
func (l *File) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}

// Archive writes the click lines to one file per UTC day in a directory,
// clicks-YYYY-MM-DD.jsonl (by the time of writing), and deletes the days
// older than Keep: the long-term copy of the click stream, beyond the Redis
// stream's retention. Safe for concurrent use.
type Archive struct {
	dir  string
	keep time.Duration // 0: keep every day
	now  func() time.Time

	mu  sync.Mutex
	day string
	f   *os.File
}

const archivePrefix, archiveSuffix = "clicks-", ".jsonl"

// NewArchive checks that dir is a writable directory. keep 0 keeps every
// file; otherwise a file is deleted once its whole day is older than keep.
func NewArchive(dir string, keep time.Duration, now func() time.Time) (*Archive, error) {
	if now == nil {
		now = time.Now
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("clicklog: archive %s is not a directory", dir)
	}
	if keep < 0 {
		return nil, errors.New("clicklog: negative archive keep")
	}
	return &Archive{dir: dir, keep: keep, now: now}, nil
}

func (a *Archive) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	day := a.now().UTC().Format(time.DateOnly)
	if a.f == nil || day != a.day {
		if err := a.rotate(day); err != nil {
			return 0, err
		}
	}
	return a.f.Write(p)
}

// rotate opens day's file (closing the last) and deletes old days.
func (a *Archive) rotate(day string) error {
	f, err := os.OpenFile(filepath.Join(a.dir, archivePrefix+day+archiveSuffix), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if a.f != nil {
		a.f.Close()
	}
	a.f, a.day = f, day
	if a.keep > 0 {
		a.prune()
	}
	return nil
}

// prune deletes the files of days that ended more than keep ago.
func (a *Archive) prune() {
	names, _ := filepath.Glob(filepath.Join(a.dir, archivePrefix+"*"+archiveSuffix))
	sort.Strings(names)
	cutoff := a.now().Add(-a.keep)
	for _, n := range names {
		d := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(n), archivePrefix), archiveSuffix)
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			continue // not ours
		}
		if t.Add(24 * time.Hour).Before(cutoff) {
			os.Remove(n)
		}
	}
}

// Sync flushes the current file.
func (a *Archive) Sync() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return nil
	}
	return a.f.Sync()
}

// Reopen closes the current file; the next write opens it again (SIGHUP).
func (a *Archive) Reopen() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return nil
	}
	err := a.f.Close()
	a.f = nil
	return err
}

// Close closes the current file.
func (a *Archive) Close() error { return a.Reopen() }
