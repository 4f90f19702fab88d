package pages

// messages holds every string the pages show, by language and key. Both
// languages have the same keys, and every key a template or newView uses is
// here; TestMessages checks both. The texts are for people who are not
// security experts: short sentences, no jargon, and one clear thing to do.
var messages = map[Lang]map[string]string{
	JA: {
		"brand.product": "リンク保護",
		"footer.note":   "このページは、組織が導入しているリンク保護機能（Kensa）が表示しています。",

		"title.warn.suspicious": "このリンクは危険な可能性があります",
		"lead.warn.suspicious":  "Kensa がこのリンクの行き先を安全な環境で開いて確認したところ、フィッシング（ID やパスワードをだまし取る詐欺）などの疑いがある点が見つかりました。",
		"title.warn.malicious":  "このリンクは危険です",
		"lead.warn.malicious":   "Kensa がこのリンクの行き先を安全な環境で開いて確認したところ、危険なページであることがわかりました。",
		"title.warn.unknown":    "このリンクの安全を確認できませんでした",
		"lead.warn.unknown":     "Kensa はこのリンクの行き先を確認しようとしましたが、最後まで確認できませんでした。安全かどうかはわかりません。",
		"title.block":           "このリンクはブロックされました",
		"lead.block":            "Kensa がこのリンクの行き先を安全な環境で開いて確認したところ、危険なページであることがわかったため、開けないようにしました。",
		"title.checking":        "リンクの安全を確認しています",
		"lead.checking":         "行き先のページを安全な環境で開いて確認しています。確認が終わると自動的に次へ進みます。",
		"title.unchecked":       "このリンクは確認できません",
		"title.reported":        "ご報告ありがとうございます",
		"lead.reported":         "ご報告ありがとうございます。セキュリティ担当者が確認できるよう、このリンクを記録しました。",
		"title.report-failed":   "報告を記録できませんでした",
		"lead.report-failed":    "このページの有効期限が切れたか、サービスが一時的に利用できないため、報告を記録できませんでした。危険なリンクだと思われる場合は、セキュリティ担当者に直接お知らせください。",
		"lead.unchecked":        "このリンクは Kensa が発行した正式なリンクではないため、安全かどうかを確認できません。リンクとして開くこともできません。",

		"dest.heading":        "リンクの行き先",
		"dest.ascii":          "英数字での表記:",
		"dest.idn_note":       "このドメインには英数字以外の文字が使われています。よく知っている会社のドメインにそっくりでも、まったく別のサイトのことがあります。",
		"dest.highlight_note": "色の付いた部分が、このサイトの持ち主を示すドメインです。",

		"mismatch.heading": "メールに表示されていた行き先と、実際の行き先が違います",
		"mismatch.shown":   "メールに表示されていた行き先",
		"mismatch.real":    "実際の行き先",
		"mismatch.note":    "本物のサイトに見せかけて別のサイトに誘導するのは、フィッシングでよく使われる手口です。",

		"reasons.heading":  "Kensa が見つけた点",
		"level.suspicious": "注意",
		"level.malicious":  "危険",
		"level.unknown":    "不明",

		"shot.alt":     "Kensa が安全な環境で撮影した、行き先ページの画像",
		"shot.caption": "Kensa が安全な環境で開いて撮影した画像です。画像なので、見るだけなら安全です。",

		"chain.heading": "転送の経路",
		"chain.note":    "このリンクは、次の順に別のアドレスへ転送されていました。",
		"chain.cut":     "経路が長いため、一部だけを表示しています。",

		"advice.warn":    "心当たりがない場合は、このページを閉じてください。ID、パスワード、カード番号などは入力しないでください。",
		"advice.unknown": "送信者や内容に心当たりがない場合は、このページを閉じてください。開く場合も、ID やパスワードは入力しないでください。",
		"advice.block":   "このページを閉じてください。すでに ID やパスワードなどを入力してしまった場合は、すぐにセキュリティ担当者に連絡してください。",
		"proceed.button": "危険を理解したうえで開く",
		"proceed.note":   "開いたあとに ID やパスワードを求められても、入力しないでください。",

		"checking.wait":   "通常は数秒で終わります。このページはそのままにしておいてください。",
		"checking.manual": "自動的に進まない場合は:",
		"checking.link":   "確認の状況を見る",

		"unchecked.text_label": "リンクに含まれていた文字列",
		"unchecked.empty":      "このリンクには文字列が含まれていませんでした。",
		"unchecked.domain":     "この文字列をアドレスとして読むと、行き先は次のとおりです:",
		"unchecked.advice":     "どうしても必要な場合は、送信者に電話など別の方法で確認してから、アドレスをご自身で入力してください。",

		"error.malformed.title":     "このリンクは壊れています",
		"error.malformed.body":      "リンクの一部が欠けているか、書き換えられています。メールの改行などでリンクが途中で切れたときにも起こります。",
		"error.bad-signature.title": "このリンクは改ざんされています",
		"error.bad-signature.body":  "リンクの内容が、Kensa が発行したときと一致しません。安全のため、このリンクは開けません。",
		"error.unknown-key.title":   "このリンクは古くなっています",
		"error.unknown-key.body":    "このリンクを発行したときの鍵はもう使われていないため、リンクを確認できません。",
		"error.expired.title":       "このリンクは有効期限が切れています",
		"error.expired.body":        "このリンクは発行から時間が経ちすぎたため、使えなくなりました。",
		"error.not-found.title":     "ページが見つかりません",
		"error.not-found.body":      "このアドレスには何もありません。リンクが途中で切れていないか確認してください。",
		"error.not-checked.title":   "このリンクはまだ確認されていません",
		"error.not-checked.body":    "Kensa はリンク先を、人がブラウザで開いたときにだけ確認します。このページを見ているのが人であれば、メールのリンクをブラウザでもう一度開いてください。",
		"error.too-many.title":      "アクセスが多すぎます",
		"error.too-many.body":       "短い時間にこのネットワークから多くのアクセスがありました。少し待ってから、もう一度メールのリンクを開いてください。",
		"error.internal.title":      "一時的な問題が起きました",
		"error.internal.body":       "Kensa の内部で問題が起きたため、このリンクを確認できませんでした。少し時間をおいて、もう一度メールのリンクを開いてください。",
		"error.advice":              "問題が続く場合は、下の番号を添えてセキュリティ担当者に連絡してください。",

		"clickid.label": "お問い合わせ番号:",
		"clickid.note":  "セキュリティ担当者に問い合わせるときは、この番号をお伝えください。",
		"report.text":   "フィッシングだと思う場合や、安全なはずのリンクが止められた場合は、セキュリティ担当者に知らせてください。",
		"report.button": "このリンクを報告する",
	},
	EN: {
		"brand.product": "Link Protection",
		"footer.note":   "This page is shown by your organisation's link protection (Kensa).",

		"title.warn.suspicious": "This link may be dangerous",
		"lead.warn.suspicious":  "Kensa opened this link in a safe, isolated browser and found signs of phishing (a scam that steals passwords and other details).",
		"title.warn.malicious":  "This link is dangerous",
		"lead.warn.malicious":   "Kensa opened this link in a safe, isolated browser and found that the page is dangerous.",
		"title.warn.unknown":    "We could not check this link",
		"lead.warn.unknown":     "Kensa tried to check where this link goes but could not finish. We do not know whether it is safe.",
		"title.block":           "This link has been blocked",
		"lead.block":            "Kensa opened this link in a safe, isolated browser and found that the page is dangerous, so it cannot be opened.",
		"title.checking":        "Checking this link",
		"lead.checking":         "Kensa is opening the page in a safe, isolated browser to check it. You will be taken on automatically when the check is done.",
		"title.unchecked":       "This link cannot be checked",
		"title.reported":        "Thank you for your report",
		"lead.reported":         "Thank you. This link has been recorded for your security team to review.",
		"title.report-failed":   "Your report could not be recorded",
		"lead.report-failed":    "Your report could not be recorded: this page has expired, or the service is unavailable for a moment. If you think the link is dangerous, tell your security team directly.",
		"lead.unchecked":        "This is not a link issued by Kensa, so Kensa cannot check whether it is safe, and it cannot be opened from here.",

		"dest.heading":        "Where this link goes",
		"dest.ascii":          "Written in plain letters:",
		"dest.idn_note":       "This domain uses characters other than plain letters and digits. It can look exactly like a well-known company's domain and still be a different site.",
		"dest.highlight_note": "The highlighted part is the domain that tells you whose site this is.",

		"mismatch.heading": "The mail showed one address but the link goes to another",
		"mismatch.shown":   "Shown in the mail",
		"mismatch.real":    "Where the link really goes",
		"mismatch.note":    "Showing a real company's address while linking somewhere else is a common phishing trick.",

		"reasons.heading":  "What Kensa found",
		"level.suspicious": "Warning",
		"level.malicious":  "Danger",
		"level.unknown":    "Unknown",

		"shot.alt":     "Picture of the destination page, taken by Kensa in an isolated browser",
		"shot.caption": "Kensa took this picture in an isolated browser. It is only an image, so looking at it is safe.",

		"chain.heading": "Redirects on the way",
		"chain.note":    "The link passed through these addresses, in this order.",
		"chain.cut":     "The list is long, so only part of it is shown.",

		"advice.warn":    "If you were not expecting this, close this page. Do not enter your ID, password or card number.",
		"advice.unknown": "If you do not know the sender or were not expecting this, close this page. If you do open it, do not enter your ID or password.",
		"advice.block":   "Please close this page. If you have already entered your ID, password or other details, contact your security team right away.",
		"proceed.button": "I understand the risk, open it anyway",
		"proceed.note":   "If the page then asks for your ID or password, do not enter them.",

		"checking.wait":   "This usually takes a few seconds. Please keep this page open.",
		"checking.manual": "If nothing happens:",
		"checking.link":   "See the result",

		"unchecked.text_label": "Text the link carried",
		"unchecked.empty":      "The link carried no text.",
		"unchecked.domain":     "Read as an address, this text leads to:",
		"unchecked.advice":     "If you really need it, check with the sender another way (by phone, for example), then type the address yourself.",

		"error.malformed.title":     "This link is broken",
		"error.malformed.body":      "Part of the link is missing or has been changed. This also happens when a mail program splits a long link over two lines.",
		"error.bad-signature.title": "This link has been tampered with",
		"error.bad-signature.body":  "The link no longer matches what Kensa issued. For your safety it cannot be opened.",
		"error.unknown-key.title":   "This link is too old",
		"error.unknown-key.body":    "The key this link was issued with is no longer in use, so the link cannot be checked.",
		"error.expired.title":       "This link has expired",
		"error.expired.body":        "Too much time has passed since this link was issued, so it can no longer be used.",
		"error.not-found.title":     "Page not found",
		"error.not-found.body":      "There is nothing at this address. Check that the link was not cut short.",
		"error.not-checked.title":   "This link has not been checked yet",
		"error.not-checked.body":    "Kensa checks where a link leads only when a person opens it in a browser. If you are a person, open the link in the mail again in your browser.",
		"error.too-many.title":      "Too many requests",
		"error.too-many.body":       "Your network sent many requests in a short time. Please wait a moment and open the link in the mail again.",
		"error.internal.title":      "Something went wrong",
		"error.internal.body":       "A problem inside Kensa stopped it from checking this link. Please wait a moment and open the link in the mail again.",
		"error.advice":              "If this keeps happening, contact your security team and quote the number below.",

		"clickid.label": "Reference number:",
		"clickid.note":  "Quote this number when you contact your security team.",
		"report.text":   "Think this is phishing, or that a safe link was stopped by mistake? Tell your security team.",
		"report.button": "Report this link",
	},
}

// Message returns the page text for key in l ("" when there is none). The
// browser extension's card uses the same words as the pages (its generated
// contract, extension/generate_test.go).
func Message(l Lang, key string) string { return messages[l][key] }
