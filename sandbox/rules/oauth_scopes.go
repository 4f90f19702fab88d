package rules

import (
	"strings"
	"unicode/utf8"
)

// ScopeRisk is how much a scope (or a whole request) lets an app do.
type ScopeRisk string

// The risks. Unknown is a scope not in the table: it is never treated as
// low. For a whole request (OAuthRisk) they rank low < unknown < medium <
// high.
const (
	ScopeRiskLow     ScopeRisk = "low"
	ScopeRiskUnknown ScopeRisk = "unknown"
	ScopeRiskMedium  ScopeRisk = "medium"
	ScopeRiskHigh    ScopeRisk = "high"
)

func (r ScopeRisk) rank() int {
	switch r {
	case ScopeRiskLow:
		return 0
	case ScopeRiskMedium:
		return 2
	case ScopeRiskHigh:
		return 3
	}
	return 1
}

// ScopeInfo is one thing a request asks for, in plain words. JA is a noun
// phrase (連絡先の読み取り), EN a verb phrase completing "let the app …"
// (read your contacts).
type ScopeInfo struct {
	Scope  string
	Risk   ScopeRisk
	JA, EN string
}

// Pseudo-scopes: what a request asks for besides its scope list.
const (
	oauthPseudoAdmin      = "(admin consent)"
	oauthPseudoDevice     = "(device code)"
	oauthPseudoConfigured = "(app-configured)"
	oauthPseudoNone       = "(none)"
	oauthPseudoOffline    = "(offline)"
	oauthPseudoResource   = "(resource) "
)

// What offline access means, for every provider.
const (
	oauthOfflineJA = "使っていない間も続くアクセス"
	oauthOfflineEN = "keep access even when you are not using it"
)

// oauthScopeRule rates the scopes matching pattern. A pattern ending in
// "*" matches by prefix, one starting with "*" by suffix; matching is
// case-insensitive after the family's normalisation (oauthScopeKey), and
// the first matching rule of a family wins, so specific rules come first.
type oauthScopeRule struct {
	pattern string
	risk    ScopeRisk
	ja, en  string
	// offline rules (offline_access, refresh_token) are rated by what
	// they come with: see oauthResolveOffline.
	offline bool
	// src is a key of the sources list in docs/oauth-scopes.md.
	src string
}

// oauthScopeTable is the scope-risk table of one provider family.
type oauthScopeTable struct {
	family, title string
	rules         []oauthScopeRule
}

// Short names for the table.
const (
	oauthLow  = ScopeRiskLow
	oauthMed  = ScopeRiskMedium
	oauthHigh = ScopeRiskHigh
)

// oauthScopeTables is the documented table (docs/oauth-scopes.md is
// generated from it). Sources: detection.md §3.2 and §7.3 (R11); rows
// marked "guess" are our own judgement.
var oauthScopeTables = []oauthScopeTable{
	{"microsoft", "Microsoft identity platform (Graph, Exchange, Azure)", []oauthScopeRule{
		{pattern: "Mail.ReadBasic*", risk: oauthMed, ja: "メールの件名や差出人（本文を除く）の読み取り", en: "read the subjects and senders of your mail (not the text)", src: "ms-ir"},
		{pattern: "Mail.Send*", risk: oauthHigh, ja: "あなたになりすましたメール送信", en: "send mail as you", src: "ms-ir"},
		{pattern: "Mail.ReadWrite*", risk: oauthHigh, ja: "メールの読み取りと変更・削除", en: "read and change your mail (deleting too)", src: "ms-ir"},
		{pattern: "Mail.Read*", risk: oauthHigh, ja: "メールの読み取り", en: "read your mail", src: "ms-ir"},
		{pattern: "Mail.*", risk: oauthHigh, ja: "メールへのアクセス", en: "access your mail", src: "ms-ir"},
		{pattern: "MailboxSettings.*", risk: oauthHigh, ja: "メールボックス設定（自動転送など）の読み取りと変更", en: "read and change your mailbox settings (such as forwarding)", src: "ms-ir"},
		{pattern: "Contacts.ReadWrite*", risk: oauthHigh, ja: "連絡先の読み取りと変更", en: "read and change your contacts", src: "ms-ir"},
		{pattern: "Contacts.*", risk: oauthHigh, ja: "連絡先の読み取り", en: "read your contacts", src: "ms-ir"},
		{pattern: "People.*", risk: oauthHigh, ja: "よくやり取りする相手の一覧の読み取り", en: "read the list of people you work with", src: "ms-ir"},
		{pattern: "Files.ReadWrite.AppFolder", risk: oauthMed, ja: "OneDrive のアプリ専用フォルダーの利用", en: "use its own folder in your OneDrive", src: "guess"},
		{pattern: "Files.ReadWrite*", risk: oauthHigh, ja: "ファイル（OneDrive・SharePoint）の読み取りと変更", en: "read and change your files in OneDrive and SharePoint", src: "ms-ir"},
		{pattern: "Files.*", risk: oauthHigh, ja: "ファイル（OneDrive・SharePoint）の読み取り", en: "read your files in OneDrive and SharePoint", src: "ms-ir"},
		{pattern: "Sites.*", risk: oauthHigh, ja: "SharePoint サイトとそのファイルへのアクセス", en: "access SharePoint sites and their files", src: "guess"},
		{pattern: "Notes.*", risk: oauthHigh, ja: "OneNote ノートブックへのアクセス", en: "access your OneNote notebooks", src: "ms-ir"},
		{pattern: "Chat.*", risk: oauthHigh, ja: "Teams のチャットへのアクセス", en: "access your Teams chats", src: "guess"},
		{pattern: "ChannelMessage.*", risk: oauthHigh, ja: "Teams のチャネルのメッセージへのアクセス", en: "access Teams channel messages", src: "guess"},
		{pattern: "EWS.AccessAsUser.All", risk: oauthHigh, ja: "Exchange のメールボックス全体へのアクセス", en: "use your whole Exchange mailbox as you", src: "guess"},
		{pattern: "IMAP.AccessAsUser.All", risk: oauthHigh, ja: "IMAP でのメールボックスへのアクセス", en: "read your mailbox over IMAP", src: "guess"},
		{pattern: "POP.AccessAsUser.All", risk: oauthHigh, ja: "POP でのメールの取得", en: "download your mail over POP", src: "guess"},
		{pattern: "SMTP.Send", risk: oauthHigh, ja: "SMTP でのメール送信", en: "send mail as you over SMTP", src: "guess"},
		{pattern: "Directory.AccessAsUser.All", risk: oauthHigh, ja: "あなたとしての組織ディレクトリの操作", en: "act as you in your organisation's directory", src: "ms-ir"},
		{pattern: "user_impersonation", risk: oauthHigh, ja: "あなたとしてのサービス（Azure など）の操作", en: "act as you in the service (such as Azure)", src: "ms-ir"},
		{pattern: "RoleManagement.ReadWrite.Directory", risk: oauthHigh, ja: "組織の管理者ロールの変更", en: "change who holds admin roles in your organisation", src: "ms-ir"},
		{pattern: "User.ManageCreds.All", risk: oauthHigh, ja: "組織の利用者のサインイン情報の管理", en: "manage the sign-in credentials of people in your organisation", src: "ms-ir"},
		{pattern: "Member.Read.Hidden", risk: oauthHigh, ja: "非公開のグループメンバーの読み取り", en: "read hidden group memberships", src: "ms-ir"},
		{pattern: "*.ReadWrite.All", risk: oauthHigh, ja: "組織全体のデータの変更", en: "change data across your whole organisation", src: "ms-ir"},
		{pattern: ".default", risk: oauthHigh, ja: "アプリに登録されたすべての権限", en: "use every permission the app is registered for", src: "ms-admin"},
		{pattern: "Calendars.*", risk: oauthMed, ja: "予定表へのアクセス", en: "access your calendar", src: "guess"},
		{pattern: "Tasks.*", risk: oauthMed, ja: "タスクへのアクセス", en: "access your tasks", src: "guess"},
		{pattern: "User.Read.All", risk: oauthMed, ja: "組織の全員のプロフィールの読み取り", en: "read the full profiles of everyone in your organisation", src: "guess"},
		{pattern: "User.ReadWrite", risk: oauthMed, ja: "プロフィールの変更", en: "change your profile", src: "guess"},
		{pattern: "Group.Read.All", risk: oauthMed, ja: "組織のグループの読み取り", en: "read your organisation's groups", src: "guess"},
		{pattern: "Directory.Read.All", risk: oauthMed, ja: "組織ディレクトリの読み取り", en: "read your organisation's directory", src: "guess"},
		{pattern: "User.Read", risk: oauthLow, ja: "あなたのプロフィールの読み取り", en: "read your profile", src: "ms-ir"},
		{pattern: "User.ReadBasic.All", risk: oauthLow, ja: "組織の人の名前などの基本情報の読み取り", en: "read basic profiles of people in your organisation", src: "ms-ir"},
		{pattern: "wl.offline_access", risk: oauthLow, ja: oauthOfflineJA, en: oauthOfflineEN, offline: true, src: "guess"},
	}},
	{"google", "Google", []oauthScopeRule{
		{pattern: "https://mail.google.com/", risk: oauthHigh, ja: "Gmail 全体（メールの読み取り・送信・削除）", en: "fully control your Gmail (read, send and delete mail)", src: "g-restricted"},
		{pattern: "gmail.readonly", risk: oauthHigh, ja: "メールの読み取り", en: "read your mail", src: "g-restricted"},
		{pattern: "gmail.modify", risk: oauthHigh, ja: "メールの読み取りと変更", en: "read and change your mail", src: "g-restricted"},
		{pattern: "gmail.compose", risk: oauthHigh, ja: "メールの作成と送信", en: "write and send mail as you", src: "g-restricted"},
		{pattern: "gmail.send", risk: oauthHigh, ja: "メール送信", en: "send mail as you", src: "g-sensitive"},
		{pattern: "gmail.insert", risk: oauthHigh, ja: "メールボックスへのメールの追加", en: "put messages into your mailbox", src: "g-restricted"},
		{pattern: "gmail.metadata", risk: oauthHigh, ja: "メールの件名・差出人などの読み取り", en: "read the subjects and senders of your mail", src: "g-restricted"},
		{pattern: "gmail.settings.basic", risk: oauthHigh, ja: "メール設定（フィルタ・転送など）の変更", en: "change your mail settings (such as filters and forwarding)", src: "g-restricted"},
		{pattern: "gmail.settings.sharing", risk: oauthHigh, ja: "メールの転送先や代理人の変更", en: "change who can read or send mail for you", src: "g-restricted"},
		{pattern: "gmail.labels", risk: oauthMed, ja: "メールのラベルの管理", en: "manage your mail labels", src: "guess"},
		{pattern: "gmail.*", risk: oauthHigh, ja: "メールへのアクセス", en: "access your mail", src: "g-restricted"},
		{pattern: "https://www.google.com/m8/feeds", risk: oauthHigh, ja: "連絡先の読み取りと変更", en: "read and change your contacts", src: "guess"},
		{pattern: "contacts", risk: oauthHigh, ja: "連絡先の読み取りと変更", en: "read and change your contacts", src: "g-sensitive"},
		{pattern: "contacts.readonly", risk: oauthHigh, ja: "連絡先の読み取り", en: "read your contacts", src: "g-sensitive"},
		{pattern: "contacts.other.readonly", risk: oauthHigh, ja: "「その他の連絡先」の読み取り", en: "read your other contacts", src: "g-sensitive"},
		{pattern: "directory.readonly", risk: oauthHigh, ja: "組織のディレクトリ（全員の連絡先）の読み取り", en: "read your organisation's directory", src: "g-sensitive"},
		{pattern: "contacts*", risk: oauthHigh, ja: "連絡先へのアクセス", en: "access your contacts", src: "g-sensitive"},
		{pattern: "drive.file", risk: oauthMed, ja: "このアプリで開いた・作ったドライブのファイルだけへのアクセス", en: "access only the Drive files you open or create with it", src: "guess"},
		{pattern: "drive.appdata", risk: oauthMed, ja: "ドライブのアプリ専用データの利用", en: "use its own data folder in your Drive", src: "guess"},
		{pattern: "drive", risk: oauthHigh, ja: "Google ドライブの全ファイルの読み取り・変更・削除", en: "fully control your Google Drive (read, change and delete every file)", src: "g-restricted"},
		{pattern: "drive.readonly", risk: oauthHigh, ja: "Google ドライブの全ファイルの読み取り", en: "read all your Google Drive files", src: "g-restricted"},
		{pattern: "drive.metadata*", risk: oauthHigh, ja: "Google ドライブのファイル一覧の読み取り", en: "see the list of your Google Drive files", src: "g-restricted"},
		{pattern: "drive*", risk: oauthHigh, ja: "Google ドライブへのアクセス", en: "access your Google Drive", src: "g-restricted"},
		{pattern: "https://docs.google.com/feeds", risk: oauthHigh, ja: "Google ドキュメントへのアクセス", en: "access your Google Docs", src: "guess"},
		{pattern: "https://spreadsheets.google.com/feeds", risk: oauthHigh, ja: "Google スプレッドシートへのアクセス", en: "access your Google Sheets", src: "guess"},
		{pattern: "documents*", risk: oauthHigh, ja: "Google ドキュメントへのアクセス", en: "access your Google Docs", src: "guess"},
		{pattern: "spreadsheets*", risk: oauthHigh, ja: "Google スプレッドシートへのアクセス", en: "access your Google Sheets", src: "guess"},
		{pattern: "presentations*", risk: oauthHigh, ja: "Google スライドへのアクセス", en: "access your Google Slides", src: "guess"},
		{pattern: "cloud-platform*", risk: oauthHigh, ja: "Google Cloud の操作", en: "use your Google Cloud projects", src: "guess"},
		{pattern: "admin.*", risk: oauthHigh, ja: "Google Workspace の管理", en: "administer your Google Workspace", src: "guess"},
		{pattern: "calendar*", risk: oauthMed, ja: "カレンダーへのアクセス", en: "access your calendar", src: "guess"},
		{pattern: "userinfo.email", risk: oauthLow, ja: "メールアドレスの確認", en: "see your email address", src: "r11"},
		{pattern: "userinfo.profile", risk: oauthLow, ja: "名前とプロフィールの確認", en: "see your name and profile", src: "r11"},
	}},
	{"github", "GitHub", []oauthScopeRule{
		{pattern: "repo", risk: oauthHigh, ja: "すべてのリポジトリ（非公開を含む）の読み取りと変更", en: "read and change all your repositories (private ones too)", src: "r11"},
		{pattern: "admin:*", risk: oauthHigh, ja: "組織・鍵・Webhook の管理", en: "get admin rights (organisations, keys or webhooks)", src: "r11"},
		{pattern: "delete_repo", risk: oauthHigh, ja: "リポジトリの削除", en: "delete your repositories", src: "r11"},
		{pattern: "workflow", risk: oauthHigh, ja: "GitHub Actions のワークフローの変更", en: "change your GitHub Actions workflows", src: "r11"},
		{pattern: "write:org", risk: oauthHigh, ja: "組織のメンバーの変更", en: "change the membership of your organisations", src: "guess"},
		{pattern: "public_repo", risk: oauthMed, ja: "公開リポジトリの変更", en: "change your public repositories", src: "guess"},
		{pattern: "repo:*", risk: oauthMed, ja: "リポジトリの状態や招待へのアクセス", en: "access repository statuses or invitations", src: "guess"},
		{pattern: "repo_deployment", risk: oauthMed, ja: "デプロイの状態へのアクセス", en: "access deployment statuses", src: "guess"},
		{pattern: "*:packages", risk: oauthMed, ja: "パッケージへのアクセス", en: "access your packages", src: "guess"},
		{pattern: "user", risk: oauthMed, ja: "プロフィールの読み取りと変更", en: "read and change your profile", src: "guess"},
		{pattern: "read:org", risk: oauthMed, ja: "所属する組織とチームの読み取り", en: "read your organisations and teams", src: "guess"},
		{pattern: "gist", risk: oauthMed, ja: "Gist の作成", en: "create gists", src: "guess"},
		{pattern: "notifications", risk: oauthMed, ja: "通知の読み取り", en: "read your notifications", src: "guess"},
		{pattern: "read:user", risk: oauthLow, ja: "プロフィールの読み取り", en: "read your profile", src: "guess"},
		{pattern: "user:email", risk: oauthLow, ja: "メールアドレスの確認", en: "see your email addresses", src: "guess"},
		{pattern: "user:follow", risk: oauthLow, ja: "フォローの変更", en: "follow and unfollow people", src: "guess"},
	}},
	{"facebook", "Facebook / Meta", []oauthScopeRule{
		{pattern: "public_profile", risk: oauthLow, ja: "公開プロフィールの確認", en: "see your public profile", src: "guess"},
		{pattern: "user_friends", risk: oauthMed, ja: "友達リストの読み取り", en: "see your friends list", src: "guess"},
		{pattern: "user_posts", risk: oauthMed, ja: "投稿の読み取り", en: "read your posts", src: "guess"},
		{pattern: "user_photos", risk: oauthMed, ja: "写真の読み取り", en: "see your photos", src: "guess"},
		{pattern: "user_*", risk: oauthMed, ja: "プロフィールの詳細（誕生日・所在地など）", en: "see details from your profile (such as birthday or location)", src: "guess"},
		{pattern: "pages_manage_*", risk: oauthHigh, ja: "Facebook ページの管理（投稿・設定）", en: "manage your Facebook Pages (posts and settings)", src: "guess"},
		{pattern: "pages_messaging", risk: oauthHigh, ja: "Facebook ページとしてのメッセージの送受信", en: "read and send messages as your Pages", src: "guess"},
		{pattern: "pages_*", risk: oauthMed, ja: "管理している Facebook ページの情報", en: "see the Facebook Pages you manage", src: "guess"},
		{pattern: "business_management", risk: oauthHigh, ja: "ビジネスアカウントの管理", en: "manage your business accounts", src: "guess"},
		{pattern: "ads_management", risk: oauthHigh, ja: "広告アカウントの管理（支払いを含む）", en: "manage your ad accounts (spending too)", src: "guess"},
		{pattern: "ads_read", risk: oauthMed, ja: "広告アカウントの読み取り", en: "read your ad accounts", src: "guess"},
		{pattern: "instagram_basic", risk: oauthMed, ja: "Instagram のプロフィールと投稿の読み取り", en: "read your Instagram profile and posts", src: "guess"},
		{pattern: "instagram_*", risk: oauthHigh, ja: "Instagram アカウントの管理（投稿・メッセージ）", en: "manage your Instagram account (posts and messages)", src: "guess"},
	}},
	{"yahoo", "Yahoo (global)", []oauthScopeRule{
		{pattern: "mail-*", risk: oauthHigh, ja: "メールへのアクセス", en: "access your mail", src: "guess"},
		{pattern: "sdct-*", risk: oauthHigh, ja: "連絡先へのアクセス", en: "access your contacts", src: "guess"},
	}},
	{"apple", "Apple", []oauthScopeRule{
		{pattern: "name", risk: oauthLow, ja: "名前の確認", en: "see your name", src: "r11"},
	}},
	{"slack", "Slack (scope and user_scope)", []oauthScopeRule{
		{pattern: "identity.*", risk: oauthLow, ja: "Slack の基本的な本人情報の確認", en: "see your basic Slack identity", src: "guess"},
		{pattern: "chat:write*", risk: oauthHigh, ja: "Slack へのメッセージ投稿", en: "post messages in Slack", src: "r11"},
		{pattern: "*:history", risk: oauthHigh, ja: "チャンネルや DM のメッセージの読み取り", en: "read messages in channels and direct messages", src: "r11"},
		{pattern: "search:read*", risk: oauthHigh, ja: "ワークスペース全体のメッセージとファイルの検索", en: "search all messages and files", src: "guess"},
		{pattern: "users:read.email", risk: oauthHigh, ja: "ワークスペースの全員のメールアドレスの読み取り", en: "read the email addresses of everyone in the workspace", src: "r11"},
		{pattern: "files:*", risk: oauthHigh, ja: "Slack のファイルへのアクセス", en: "access files in Slack", src: "guess"},
		{pattern: "admin*", risk: oauthHigh, ja: "ワークスペースの管理", en: "administer the workspace", src: "guess"},
		{pattern: "client", risk: oauthHigh, ja: "Slack でできることすべて（旧形式の権限）", en: "do everything you can do in Slack (legacy permission)", src: "guess"},
		{pattern: "read", risk: oauthHigh, ja: "Slack のすべての読み取り（旧形式の権限）", en: "read everything you can see in Slack (legacy permission)", src: "guess"},
		{pattern: "post", risk: oauthHigh, ja: "あなたとしての投稿（旧形式の権限）", en: "post as you (legacy permission)", src: "guess"},
		{pattern: "identify", risk: oauthLow, ja: "Slack の本人確認", en: "see who you are in Slack", src: "guess"},
		{pattern: "*:read", risk: oauthMed, ja: "チャンネルやメンバーなどの情報の読み取り", en: "see workspace information (channels and members)", src: "guess"},
		{pattern: "*:write", risk: oauthMed, ja: "ワークスペースの情報の変更", en: "change workspace information", src: "guess"},
		{pattern: "commands", risk: oauthMed, ja: "スラッシュコマンドの追加", en: "add slash commands", src: "guess"},
		{pattern: "incoming-webhook", risk: oauthMed, ja: "チャンネルへの投稿用 Webhook", en: "post to a channel through a webhook", src: "guess"},
	}},
	{"dropbox", "Dropbox", []oauthScopeRule{
		{pattern: "account_info.read", risk: oauthLow, ja: "Dropbox のアカウント情報の確認", en: "see your Dropbox account information", src: "guess"},
		{pattern: "files.content.write", risk: oauthHigh, ja: "Dropbox のファイルの変更・削除", en: "change and delete your Dropbox files", src: "r11"},
		{pattern: "files.content.*", risk: oauthHigh, ja: "Dropbox のファイルの中身の読み取り", en: "read the contents of your Dropbox files", src: "r11"},
		{pattern: "files.permanent_delete", risk: oauthHigh, ja: "Dropbox のファイルの完全削除", en: "permanently delete your Dropbox files", src: "guess"},
		{pattern: "files.*", risk: oauthMed, ja: "Dropbox のファイル一覧の読み取り", en: "see the list of your Dropbox files", src: "guess"},
		{pattern: "contacts.*", risk: oauthHigh, ja: "連絡先へのアクセス", en: "access your contacts", src: "guess"},
		{pattern: "team_data.*", risk: oauthHigh, ja: "チームのデータへのアクセス", en: "access your team's data", src: "guess"},
		{pattern: "members.*", risk: oauthHigh, ja: "チームのメンバーの管理", en: "manage your team's members", src: "guess"},
		{pattern: "sharing.*", risk: oauthMed, ja: "共有設定へのアクセス", en: "access your sharing settings", src: "guess"},
		{pattern: "file_requests.*", risk: oauthMed, ja: "ファイルリクエストへのアクセス", en: "access your file requests", src: "guess"},
		{pattern: "team_info.read", risk: oauthMed, ja: "チームの情報の読み取り", en: "see your team's information", src: "guess"},
	}},
	{"salesforce", "Salesforce", []oauthScopeRule{
		{pattern: "full", risk: oauthHigh, ja: "Salesforce のすべてのデータへのアクセス", en: "access all your Salesforce data", src: "r11"},
		{pattern: "api", risk: oauthHigh, ja: "Salesforce のデータへのアクセス（API）", en: "access your Salesforce data through the API", src: "r11"},
		{pattern: "web", risk: oauthHigh, ja: "ブラウザでのあなたとしての Salesforce の利用", en: "use Salesforce in the browser as you", src: "guess"},
		{pattern: "id", risk: oauthLow, ja: "Salesforce の本人情報の確認", en: "see your Salesforce identity", src: "guess"},
		{pattern: "chatter_api", risk: oauthMed, ja: "Chatter へのアクセス", en: "access Chatter", src: "guess"},
		{pattern: "cdp_*", risk: oauthMed, ja: "Data Cloud へのアクセス", en: "access Data Cloud", src: "guess"},
		{pattern: "visualforce", risk: oauthMed, ja: "Visualforce ページの利用", en: "use Visualforce pages", src: "guess"},
		{pattern: "lightning", risk: oauthMed, ja: "Lightning アプリの利用", en: "use Lightning apps", src: "guess"},
		{pattern: "content", risk: oauthMed, ja: "コンテンツへのアクセス", en: "access your content", src: "guess"},
	}},
	{"", "Every provider (checked after the provider's own table)", []oauthScopeRule{
		{pattern: "openid", risk: oauthLow, ja: "本人確認（サインイン）", en: "sign you in", src: "r11"},
		{pattern: "profile", risk: oauthLow, ja: "名前とプロフィールの確認", en: "see your name and profile", src: "r11"},
		{pattern: "email", risk: oauthLow, ja: "メールアドレスの確認", en: "see your email address", src: "r11"},
		{pattern: "address", risk: oauthMed, ja: "住所の確認", en: "see your postal address", src: "r11"},
		{pattern: "phone", risk: oauthMed, ja: "電話番号の確認", en: "see your phone number", src: "guess"},
		{pattern: "offline_access", risk: oauthLow, ja: oauthOfflineJA, en: oauthOfflineEN, offline: true, src: "ms-ir"},
		{pattern: "refresh_token", risk: oauthLow, ja: oauthOfflineJA, en: oauthOfflineEN, offline: true, src: "r11"},
	}},
}

// oauthResources rates Microsoft v1 resource values (normalised by
// oauthResourceKey). v1 requests carry no scope: the permissions come from
// the app's registration and are not visible in the link. Resources that
// hold mail, files or the directory are rated medium (the link does not
// show what is asked, so it cannot prove a mail or file grant: at most
// suspicious); any other resource is unknown.
var oauthResources = []struct {
	pattern, ja, en string
}{
	{"graph.microsoft.com", "Microsoft Graph（メール・ファイル・連絡先など）", "Microsoft Graph (mail, files, contacts and more)"},
	{"00000003-0000-0000-c000-000000000000", "Microsoft Graph（メール・ファイル・連絡先など）", "Microsoft Graph (mail, files, contacts and more)"},
	{"graph.windows.net", "Azure AD Graph（組織のディレクトリ）", "Azure AD Graph (your organisation's directory)"},
	{"00000002-0000-0000-c000-000000000000", "Azure AD Graph（組織のディレクトリ）", "Azure AD Graph (your organisation's directory)"},
	{"outlook.office.com", "Outlook（メール・予定表・連絡先）", "Outlook (mail, calendar and contacts)"},
	{"outlook.office365.com", "Outlook（メール・予定表・連絡先）", "Outlook (mail, calendar and contacts)"},
	{"00000002-0000-0ff1-ce00-000000000000", "Exchange Online（メール）", "Exchange Online (mail)"},
	{"*.sharepoint.com", "SharePoint / OneDrive（ファイル）", "SharePoint and OneDrive (files)"},
	{"00000003-0000-0ff1-ce00-000000000000", "SharePoint / OneDrive（ファイル）", "SharePoint and OneDrive (files)"},
	{"management.azure.com", "Azure の管理", "Azure management"},
	{"management.core.windows.net", "Azure の管理", "Azure management"},
	{"797f4846-ba00-4fd7-ba43-dac1f8f63013", "Azure の管理", "Azure management"},
	{"api.spaces.skype.com", "Teams（チャット）", "Teams (chats)"},
}

// oauthScopeKey normalises a scope for matching. Microsoft scopes may be
// qualified by their resource (https://graph.microsoft.com/Mail.Read,
// 00000003-…/Mail.Read): the part after the last slash is matched. Google
// scopes are URLs: scheme, "www.googleapis.com/auth/" and a trailing slash
// are dropped, so gmail.send and
// https://www.googleapis.com/auth/gmail.send are the same key.
func oauthScopeKey(family, s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch family {
	case "microsoft":
		if i := strings.LastIndexByte(s, '/'); i >= 0 {
			s = s[i+1:]
		}
	case "google":
		s = strings.TrimPrefix(s, "https://")
		s = strings.TrimPrefix(s, "http://")
		s = strings.TrimPrefix(s, "www.googleapis.com/auth/")
		s = strings.TrimSuffix(s, "/")
	}
	return s
}

// oauthPatternMatch matches a normalised key against a normalised pattern.
func oauthPatternMatch(pattern, key string) bool {
	switch {
	case strings.HasSuffix(pattern, "*"):
		p := pattern[:len(pattern)-1]
		return strings.HasPrefix(key, p)
	case strings.HasPrefix(pattern, "*"):
		p := pattern[1:]
		return len(key) > len(p) && strings.HasSuffix(key, p)
	}
	return key == pattern
}

// oauthLookupScope finds the rule for a scope: the family's table first,
// then the table every provider shares.
func oauthLookupScope(family, scope string) (oauthScopeRule, bool) {
	for _, t := range oauthScopeTables {
		if t.family != family {
			continue
		}
		key := oauthScopeKey(family, scope)
		for _, r := range t.rules {
			if oauthPatternMatch(oauthScopeKey(family, r.pattern), key) {
				return r, true
			}
		}
	}
	for _, t := range oauthScopeTables {
		if t.family != "" {
			continue
		}
		key := oauthScopeKey("", scope)
		for _, r := range t.rules {
			if oauthPatternMatch(oauthScopeKey("", r.pattern), key) {
				return r, true
			}
		}
	}
	return oauthScopeRule{}, false
}

// oauthResourceKey normalises a v1 resource: lower case, no scheme, no
// trailing slash or path.
func oauthResourceKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "https://")
	s = strings.TrimPrefix(s, "http://")
	s, _, _ = strings.Cut(s, "/")
	return s
}

// oauthShort shortens attacker-chosen text for an explanation.
func oauthShort(s string, max int) string {
	s = oauthPrintable(s)
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

// oauthPrintable replaces control characters (one-line explanations) and
// invalid UTF-8.
func oauthPrintable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x2028 || r == 0x2029 {
			return ' '
		}
		return r
	}, s)
}

// RateScopes says what the request asks for, one entry per scope in
// request order, followed by what the request asks for besides its scopes:
//   - "(admin consent)", high: a Microsoft admin-consent endpoint or
//     prompt=admin_consent (tenant-wide grant, R13);
//   - "(device code)", high: the Microsoft device-code page (the user is
//     about to sign someone else's device in);
//   - "(resource) <resource>": a Microsoft v1 resource; medium for Graph,
//     Azure AD Graph, Outlook/Exchange, SharePoint, Azure management and
//     Teams, unknown otherwise (the permissions are not in the link);
//   - "(app-configured)", unknown: no scope at all (the permissions are in
//     the app's configuration: Dropbox, Facebook configs); for Apple
//     "(none)", low (Apple can only ever give name and email), and for
//     GitHub "(none)", low (no scope is read-only public information);
//   - "(offline)": access_type=offline or token_access_type=offline
//     without an offline scope.
//
// Unknown scopes are "unknown", never low. offline_access, refresh_token
// and "(offline)" are rated by their company: high with any high entry,
// low when everything else is low, medium otherwise (so Dropbox with no
// scope and token_access_type=offline is medium).
func RateScopes(r OAuthRequest) []ScopeInfo {
	family := oauthFamily(r.Provider)
	var infos []ScopeInfo
	var offline []int
	for _, s := range r.Scopes {
		rule, ok := oauthLookupScope(family, s)
		if !ok {
			short := oauthShort(s, 60)
			infos = append(infos, ScopeInfo{s, ScopeRiskUnknown,
				"「" + short + "」という権限（内容は不明）",
				"use a permission called “" + short + "” (meaning unknown)"})
			continue
		}
		if rule.offline {
			offline = append(offline, len(infos))
		}
		infos = append(infos, ScopeInfo{s, rule.risk, rule.ja, rule.en})
	}
	if r.AdminConsent {
		infos = append(infos, ScopeInfo{oauthPseudoAdmin, ScopeRiskHigh,
			"組織全体への権限付与（管理者の同意）", "get permissions for your whole organisation (admin consent)"})
	}
	if r.Provider == oauthMSDevice {
		infos = append(infos, ScopeInfo{oauthPseudoDevice, ScopeRiskHigh,
			"他人の端末からあなたのアカウントへのサインイン（デバイスコード）", "sign someone else's device in to your account (device code)"})
	}
	if family == "microsoft" && r.Resource != "" {
		infos = append(infos, oauthRateResource(r.Resource))
	}
	if len(r.Scopes) == 0 && r.Resource == "" && r.Provider != oauthMSDevice {
		switch r.Provider {
		case oauthApple:
			infos = append(infos, ScopeInfo{oauthPseudoNone, ScopeRiskLow, "本人確認（サインイン）", "sign you in"})
		case oauthGitHub:
			// GitHub without a scope grants read-only access to public
			// information only: a sign-in.
			infos = append(infos, ScopeInfo{oauthPseudoNone, ScopeRiskLow, "本人確認（公開情報の読み取り）", "sign you in and see your public information"})
		default:
			infos = append(infos, ScopeInfo{oauthPseudoConfigured, ScopeRiskUnknown,
				"アプリ側で設定された権限（内容はリンクからは分かりません）",
				"use permissions set in the app's configuration (not visible in the link)"})
		}
	}
	if r.Offline && len(offline) == 0 {
		offline = append(offline, len(infos))
		infos = append(infos, ScopeInfo{oauthPseudoOffline, ScopeRiskLow,
			oauthOfflineJA, oauthOfflineEN})
	}
	oauthResolveOffline(infos, offline)
	return infos
}

// oauthResolveOffline rates the offline entries by the others.
func oauthResolveOffline(infos []ScopeInfo, offline []int) {
	if len(offline) == 0 {
		return
	}
	isOffline := map[int]bool{}
	for _, i := range offline {
		isOffline[i] = true
	}
	worst := ScopeRiskLow
	for i, in := range infos {
		if !isOffline[i] && in.Risk.rank() > worst.rank() {
			worst = in.Risk
		}
	}
	risk := ScopeRiskMedium
	switch worst {
	case ScopeRiskHigh:
		risk = ScopeRiskHigh
	case ScopeRiskLow:
		risk = ScopeRiskLow
	}
	for _, i := range offline {
		infos[i].Risk = risk
	}
}

// oauthRateResource rates a Microsoft v1 resource.
func oauthRateResource(resource string) ScopeInfo {
	key := oauthResourceKey(resource)
	for _, res := range oauthResources {
		if oauthPatternMatch(res.pattern, key) {
			return ScopeInfo{oauthPseudoResource + resource, ScopeRiskMedium,
				res.ja + "へのアクセス（具体的な権限はリンクに書かれていません）",
				"access " + res.en + " with permissions the link does not show"}
		}
	}
	short := oauthShort(resource, 60)
	return ScopeInfo{oauthPseudoResource + resource, ScopeRiskUnknown,
		"「" + short + "」へのアクセス（内容は不明）",
		"access “" + short + "” (meaning unknown)"}
}

// OAuthRisk is the risk of a whole request: the highest of RateScopes
// (low < unknown < medium < high).
func OAuthRisk(r OAuthRequest) ScopeRisk {
	return oauthMaxRisk(RateScopes(r))
}

func oauthMaxRisk(infos []ScopeInfo) ScopeRisk {
	if len(infos) == 0 {
		return ScopeRiskUnknown
	}
	worst := ScopeRiskLow
	for _, in := range infos {
		if in.Risk.rank() > worst.rank() {
			worst = in.Risk
		}
	}
	return worst
}
