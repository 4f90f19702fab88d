package browser

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/kensa-mail/kensa/sandbox/capture"
)

const magicLen = 32 // Download.Magic

type download struct {
	guid, url, name, mime string
	total, received       float64
	state                 cdpbrowser.DownloadProgressState
	filePath              string
	magic                 []byte
	capped                bool
}

// capDownloads cancels downloads past the cap, keeping their first bytes.
func (r *run) capDownloads(ctx context.Context) {
	for _, d := range r.st.downloadsOver(r.b.cfg.DownloadMaxBytes) {
		r.st.setMagic(d.guid, r.readMagic(d.guid, d.filePath))
		chromedp.CallBrowser(ctx, cdpbrowser.CancelDownload, cdpbrowser.CancelDownloadParams{GUID: d.guid, BrowserContextID: r.bcID})
	}
}

// finishDownloads reads the first bytes of every download and cancels the
// ones still running.
func (r *run) finishDownloads(ctx context.Context) {
	r.capDownloads(ctx)
	for _, d := range r.st.snapshot().downloads {
		if d.magic == nil {
			r.st.setMagic(d.guid, r.readMagic(d.guid, d.filePath))
		}
		if d.state == cdpbrowser.DownloadProgressStateInProgress || d.state == "" {
			chromedp.CallBrowser(ctx, cdpbrowser.CancelDownload, cdpbrowser.CancelDownloadParams{GUID: d.guid, BrowserContextID: r.bcID})
		}
	}
}

// readMagic reads the first bytes of a download. It only reads them.
func (r *run) readMagic(guid, filePath string) []byte {
	cands := []string{}
	if filePath != "" && strings.HasPrefix(filepath.Clean(filePath), r.dlDir+string(filepath.Separator)) {
		cands = append(cands, filePath)
	}
	if m, _ := filepath.Glob(filepath.Join(r.dlDir, filepath.Base(guid)+"*")); m != nil {
		cands = append(cands, m...)
	}
	for _, p := range cands {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		buf := make([]byte, magicLen)
		n, _ := io.ReadFull(f, buf)
		f.Close()
		if n > 0 {
			return buf[:n]
		}
	}
	return nil
}

// onBrowserEvent sees the browser's events: the downloads of every tab.
func (r *renderState) onBrowserEvent(ev any) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e := ev.(type) {
	case *cdpbrowser.EventDownloadWillBegin:
		if !r.mine[e.FrameID] {
			return
		}
		if r.dls[e.GUID] == nil {
			r.dlOrder = append(r.dlOrder, e.GUID)
		}
		r.dls[e.GUID] = &download{guid: e.GUID, url: e.URL, name: e.SuggestedFilename, mime: r.mimes[e.URL]}
		r.s.lastNav = now
	case *cdpbrowser.EventDownloadProgress:
		d := r.dls[e.GUID]
		if d == nil {
			return
		}
		d.total, d.received, d.state = e.TotalBytes, e.ReceivedBytes, e.State
		if e.FilePath != "" {
			d.filePath = e.FilePath
		}
		r.s.lastNav = now
	default:
		return
	}
	r.notify()
}

func (r *renderState) setMagic(guid string, magic []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d := r.dls[guid]; d != nil && magic != nil {
		d.magic = magic
	}
}

// downloadsOver returns the running downloads past the cap and marks them
// capped (the caller cancels them).
func (r *renderState) downloadsOver(limit int64) []download {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []download
	for _, g := range r.dlOrder {
		d := r.dls[g]
		if !d.capped && d.state == cdpbrowser.DownloadProgressStateInProgress && d.received > float64(limit) {
			d.capped = true
			out = append(out, *d)
		}
	}
	return out
}

// downloadsBusy reports a download that is still running under the cap.
func (s stateSnapshot) downloadsBusy(limit int64) bool {
	for _, d := range s.downloads {
		if !d.capped && (d.state == "" || d.state == cdpbrowser.DownloadProgressStateInProgress) && d.received <= float64(limit) {
			return true
		}
	}
	return false
}

func (s stateSnapshot) downloadList() []capture.Download {
	var out []capture.Download
	for _, d := range s.downloads {
		out = append(out, capture.Download{
			URL: d.url, FileName: d.name, MIMEType: d.mime,
			Size: int64(max(d.total, d.received)), Magic: d.magic,
		})
	}
	return out
}
