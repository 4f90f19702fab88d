package console

import "github.com/kensa-mail/kensa/clickproxy/pages"

// texts are the console's texts, each key with its Japanese and English
// side by side, so that a text is translated where it is written.
var texts = []struct{ key, ja, en string }{
	{"brand", "SOC コンソール", "SOC console"},
	{"footer", "Kensa — クリック時のリンク検査。このコンソールの操作はすべて監査ログに記録されます。", "Kensa — time-of-click link protection. Every action in this console is recorded in the audit log."},
	{"logout", "ログアウト", "Sign out"},

	{"nav.login", "ログイン", "Sign in"},
	{"nav.home", "ホーム", "Home"},
	{"nav.clicks", "クリック検索", "Click search"},
	{"nav.url", "URL", "URL"},
	{"nav.overrides", "上書き・許可/ブロック", "Overrides and lists"},
	{"nav.reports", "ユーザー報告", "User reports"},
	{"nav.audit", "監査ログ", "Audit log"},
	{"nav.users", "ユーザーとトークン", "Users and tokens"},
	{"nav.error", "エラー", "Error"},

	{"role.viewer", "閲覧者", "viewer"},
	{"role.analyst", "アナリスト", "analyst"},
	{"role.admin", "管理者", "admin"},

	{"login.title", "Kensa SOC コンソールにログイン", "Sign in to the Kensa SOC console"},
	{"login.email", "メールアドレス", "Email"},
	{"login.password", "パスワード", "Password"},
	{"login.submit", "ログイン", "Sign in"},

	{"home.title", "過去 24 時間", "The last 24 hours"},
	{"home.total", "クリック合計", "clicks"},
	{"home.reports_waiting", "未確認の報告", "reports waiting"},
	{"home.chart", "アクション別クリック数（1 時間ごと）", "Clicks per hour by action"},
	{"home.top_domains", "よくクリックされたドメイン", "Top clicked domains"},
	{"home.reports", "未確認のユーザー報告", "Reports waiting"},
	{"home.all_reports", "すべての報告を見る", "All reports"},
	{"home.retro", "遡及ハント: 通過後に悪性と判明したクリック", "Retro-hunt: clicks let through to URLs now known malicious"},
	{"home.retro_help", "クリック時は通過（安全判定または「このまま進む」）したが、その後 URL が悪性と判定されたもの。受信者への連絡を検討してください。", "These clicks went through (a clean verdict, or \"continue anyway\"), and the URL was condemned later. Consider contacting the recipients."},

	{"retro.proceeded", "警告を無視して進んだ", "continued past a warning"},
	{"retro.clean", "安全と判定されていた", "was judged clean"},

	{"col.time", "日時", "Time"},
	{"col.recipient", "受信者", "Recipient"},
	{"col.url", "URL", "URL"},
	{"col.verdict", "判定", "Verdict"},
	{"col.action", "アクション", "Action"},
	{"col.proceeded", "進んだ", "Continued"},
	{"col.scanner", "スキャナー", "Scanner"},
	{"col.clickid", "クリック ID", "Click ID"},
	{"col.clicked", "クリック日時", "Clicked"},
	{"col.known", "判明日時", "Known malicious"},
	{"col.how", "通過の理由", "Let through because"},
	{"col.by", "実行者", "By"},

	{"verdict.clean", "安全", "clean"},
	{"verdict.suspicious", "不審", "suspicious"},
	{"verdict.malicious", "悪性", "malicious"},
	{"verdict.unknown", "不明", "unknown"},

	{"action.redirect", "転送", "redirect"},
	{"action.warn", "警告", "warn"},
	{"action.block", "ブロック", "block"},
	{"action.checking", "確認中", "checking"},
	{"action.neutral", "中立", "neutral"},
	{"action.error", "エラー", "error"},

	{"yes", "はい", "yes"},

	{"no", "いいえ", "no"},

	{"none", "該当なし", "Nothing here"},

	{"search", "検索", "Search"},

	{"next", "次のページ", "Next page"},

	{"save", "保存", "Save"},

	{"delete", "削除", "Delete"},

	{"decode.link", "Kensa のリンクを貼り付けて解読", "Paste a Kensa link to decode it"},
	{"decode.submit", "解読", "Decode"},
	{"decode.title", "リンクの中身", "What the link says"},
	{"decode.message", "メッセージ", "Message"},
	{"decode.issued", "書き換えた日時", "Rewritten"},
	{"decode.shown", "本文に表示されていたドメイン", "Domain shown in the mail"},
	{"decode.flags", "フラグ", "Flags"},
	{"decode.trimmed", "切り取った末尾", "Trimmed from the end"},

	{"clicks.title", "クリック検索", "Click search"},
	{"clicks.export", "この条件でエクスポート（ECS 形式）", "Export this search (ECS fields)"},

	{"f.from", "開始 (RFC 3339)", "From (RFC 3339)"},
	{"f.to", "終了 (RFC 3339)", "To (RFC 3339)"},
	{"f.recipient", "受信者", "Recipient"},
	{"f.message", "Message-ID またはダイジェスト", "Message-ID or digest"},
	{"f.url", "URL（部分一致）", "URL contains"},
	{"f.host", "ホスト（部分一致）", "Host contains"},
	{"f.domain", "登録ドメイン", "Registrable domain"},
	{"f.verdict", "判定", "Verdict"},
	{"f.action", "アクション", "Action"},
	{"f.proceeded", "進んだ", "Continued"},
	{"f.scanner", "スキャナー", "Scanner"},

	{"url.title", "URL の詳細", "URL"},
	{"url.verdict", "現在の判定", "Current verdict"},
	{"url.not_cached", "キャッシュなし", "not cached"},
	{"url.known", "悪性と判明:", "Known malicious since"},
	{"url.rescan", "今すぐ再スキャン", "Re-scan now"},
	{"url.renders", "レンダリング履歴", "Renders"},
	{"url.shot", "スクリーンショット", "Screenshot"},
	{"url.trigger", "きっかけ", "Trigger"},
	{"url.chain", "リダイレクトの連鎖", "Redirect chain"},
	{"url.final", "最終 URL", "Final URL"},
	{"url.ua", "User-Agent", "User-Agent"},
	{"url.clickers", "この URL をクリックした人", "Who clicked it"},

	{"ov.title", "上書きと許可/ブロックリスト", "Overrides, block and allow lists"},
	{"ov.list", "リスト", "List"},
	{"ov.kind", "種類", "Kind"},
	{"ov.value", "値", "Value"},
	{"ov.reason", "理由", "Reason"},
	{"ov.expires", "有効期限", "Expires"},
	{"ov.never", "なし", "never"},
	{"ov.add", "追加", "Add"},
	{"ov.remove", "削除", "Remove"},

	{"list.block", "ブロック", "block"},
	{"list.allow", "許可", "allow"},

	{"kind.url", "URL", "URL"},
	{"kind.host", "ホスト", "host"},
	{"kind.domain", "ドメイン", "domain"},

	{"rep.title", "ユーザーからの報告", "User reports"},
	{"rep.new", "未確認", "new"},
	{"rep.reviewed", "確認済み", "reviewed"},
	{"rep.all", "すべて", "all"},
	{"rep.status", "状態", "Status"},
	{"rep.outcome", "結果", "Outcome"},
	{"rep.note", "メモ", "Note"},
	{"rep.review", "確認済みにする", "Mark reviewed"},

	{"outcome.malicious", "悪性", "malicious"},
	{"outcome.suspicious", "不審", "suspicious"},
	{"outcome.benign", "問題なし", "benign"},
	{"outcome.spam", "迷惑メール", "spam"},

	{"audit.title", "監査ログ", "Audit log"},
	{"audit.actor", "実行者", "Who"},
	{"audit.action", "操作", "Action"},
	{"audit.target", "対象", "Target"},
	{"audit.reason", "理由", "Why"},
	{"audit.outcome", "結果", "Outcome"},
	{"audit.ip", "接続元", "From"},
	{"audit.a.login", "ログイン", "sign-in"},
	{"audit.a.logout", "ログアウト", "sign-out"},
	{"audit.a.user.create", "ユーザー作成", "user created"},
	{"audit.a.user.update", "ユーザー変更", "user changed"},
	{"audit.a.user.delete", "ユーザー削除", "user deleted"},
	{"audit.a.token.create", "トークン発行", "token created"},
	{"audit.a.token.revoke", "トークン失効", "token revoked"},
	{"audit.a.override.add", "上書き追加", "override added"},
	{"audit.a.override.remove", "上書き削除", "override removed"},
	{"audit.a.url.rescan", "再スキャン", "re-scan"},
	{"audit.a.report.review", "報告の確認", "report reviewed"},
	{"audit.o.success", "成功", "success"},
	{"audit.o.failure", "失敗", "failure"},

	{"users.title", "ユーザーとトークン", "Users and tokens"},
	{"users.users", "コンソールのユーザー", "Console users"},
	{"users.role", "ロール", "Role"},
	{"users.state", "状態", "State"},
	{"users.active", "有効", "active"},
	{"users.disabled", "無効", "disabled"},
	{"users.add", "ユーザーを追加", "Add user"},

	{"tokens.title", "API トークン", "API tokens"},
	{"tokens.name", "名前", "Name"},
	{"tokens.scope", "スコープ", "scope"},
	{"tokens.add", "トークンを発行", "Create token"},
	{"tokens.revoke", "失効", "Revoke"},
	{"tokens.new", "新しいトークン", "New token"},
	{"tokens.once", "このトークンは今だけ表示されます。安全な場所に保存してください。Kensa はハッシュしか保存しません。", "This token is shown now and never again. Store it safely: Kensa keeps only its hash."},

	{"done.override", "上書きを追加しました。", "Override added."},
	{"done.override_removed", "上書きを削除しました。", "Override removed."},
	{"done.rescan", "再スキャンを実行しました。", "Re-scan done."},
	{"done.review", "報告を確認済みにしました。", "Report marked reviewed."},
	{"done.user", "ユーザーを保存しました。", "User saved."},
	{"done.user_deleted", "ユーザーを削除しました。", "User deleted."},
	{"done.token_revoked", "トークンを失効させました。", "Token revoked."},

	{"error.unauthorized", "ログインが必要です", "Please sign in"},
	{"error.unauthorized.body", "セッションの期限が切れたか、ログインしていません。", "Your session expired, or you are not signed in."},
	{"error.forbidden", "権限がありません", "Not allowed"},
	{"error.forbidden.body", "あなたのロールではこの操作はできません。", "Your role does not allow this."},
	{"error.csrf", "要求を確認できませんでした", "Request not confirmed"},
	{"error.csrf.body", "フォームの有効期限が切れたか、別のサイトから送信されました。ページを読み込み直してください。", "The form expired or was sent from another site. Reload the page and try again."},
	{"error.not-found", "見つかりません", "Not found"},
	{"error.not-found.body", "このアドレスには何もありません。", "There is nothing at this address."},
	{"error.too-many", "アクセスが多すぎます", "Too many requests"},
	{"error.too-many.body", "少し待ってからもう一度お試しください。", "Please wait a moment and try again."},
	{"error.bad-request", "入力を確認してください", "Please check your input"},
	{"error.bad-request.body", "入力に誤りがあります。", "Something in the request is wrong."},
	{"error.unavailable", "一時的に利用できません", "Temporarily unavailable"},
	{"error.unavailable.body", "データストアに接続できません。少し待ってからお試しください。", "The data store cannot be reached. Please try again shortly."},
	{"error.internal", "内部エラー", "Internal error"},
	{"error.internal.body", "問題が発生しました。サービスログに詳細があります。", "Something went wrong; the service log has the details."},

	{"login.failed", "メールアドレスまたはパスワードが違います。", "Wrong email or password."},
}

// messages are texts by language, for lookups.
var messages = func() map[pages.Lang]map[string]string {
	m := map[pages.Lang]map[string]string{pages.JA: {}, pages.EN: {}}
	for _, t := range texts {
		m[pages.JA][t.key], m[pages.EN][t.key] = t.ja, t.en
	}
	return m
}()
