package clicklog

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// The archive writes one file per UTC day, keeps every day within keep,
// and deletes a day only once it is wholly older than keep.
func TestArchive(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 1, 23, 59, 0, 0, time.UTC)
	a, err := NewArchive(dir, 30*24*time.Hour, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for d := 0; d < 33; d++ {
		if _, err := a.Write([]byte(`{"n":1}` + "\n")); err != nil {
			t.Fatal(err)
		}
		now = now.Add(24 * time.Hour)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	// The last write was on Dec 3 23:59; Nov 2 ended 31 days before: gone.
	// Nov 3 ended 30 days and 23:59 before... also older than 30 days.
	if slices.Contains(names, "clicks-2026-11-01.jsonl") || !slices.Contains(names, "clicks-2026-11-04.jsonl") || !slices.Contains(names, "clicks-2026-12-03.jsonl") {
		t.Errorf("files: %v", names)
	}
	if len(names) < 30 {
		t.Errorf("%d files kept, want at least the 30 days of retention", len(names))
	}
	if _, err := NewArchive(filepath.Join(dir, "clicks-2026-12-03.jsonl"), 0, nil); err == nil {
		t.Error("a file accepted as the archive directory")
	}
}

// Reopen follows a rotation: the moved file keeps its lines, new lines go
// to a new file of the same name.
func TestFileReopen(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "clicks.log")
	f, err := OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write([]byte("one\n"))
	if err := os.Rename(p, p+".1"); err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("two\n"))
	if err := f.Reopen(); err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("three\n"))
	old, _ := os.ReadFile(p + ".1")
	cur, _ := os.ReadFile(p)
	if string(old) != "one\ntwo\n" || string(cur) != "three\n" {
		t.Errorf("rotated %q, current %q", old, cur)
	}
}
