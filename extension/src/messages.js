// The card's words in Japanese and English. Words the interstitial uses too
// come from clickproxy/pages through the generated contract, so a level
// is called the same on the card and on the page.

import contract from './generated/contract.js';

const own = {
  ja: {
    title: 'リンクの行き先',
    'level.clean': '問題なし',
    'level.checking': '確認中…',
    'level.local': '未確認',
    kensa: 'Kensa のリンク（この端末で読み取りました）',
    'kensa.foreign': 'Kensa のリンクの形をしていますが、組織の Kensa のものではありません。表示されている行き先は信用できません。',
    'kensa.unconfigured': 'Kensa のリンクの形をしています。オプションで Kensa のリンクのベース URL を設定すると、この端末で行き先を読み取れます。表示しているのは実際に開くアドレスです。',
    'kensa.bad': 'Kensa のリンクとして読み取れません（{code}）。壊れているか、偽造されています。',
    'kensa.password_form': 'このリンクのメールには、パスワードを入力させるフォームが含まれていました。',
    mismatch: 'リンクの文字が示すサイトと、実際の行き先が違います',
    'mismatch.shown': 'リンクの文字',
    lookalike: '{domain}（{name}）に似せたドメインです。',
    userinfo: 'アドレスの「@」より前は行き先ではありません。本当の行き先は「@」の後ろです。',
    'server.none': 'Kensa サーバーが設定されていないため、この端末でわかることだけを表示しています。',
    'server.error': 'Kensa サーバーに確認できませんでした（{code}）。',
    'server.checking': '行き先のページを安全な環境で開いて確認しています。',
    close: '閉じる',
  },
  en: {
    title: 'Where this link goes',
    'level.clean': 'No problems found',
    'level.checking': 'Checking…',
    'level.local': 'Not checked',
    kensa: 'Kensa link (read on this device)',
    'kensa.foreign': "This looks like a Kensa link but is not from your organisation's Kensa. Do not trust the destination it shows.",
    'kensa.unconfigured': 'This looks like a Kensa link. Set the Kensa link base URL in the options to read its destination on this device; the address shown is the one the link opens.',
    'kensa.bad': 'This Kensa link cannot be read ({code}): it is broken or forged.',
    'kensa.password_form': 'The mail this link came from contained a form asking for a password.',
    mismatch: 'The link text shows a different site than where it goes',
    'mismatch.shown': 'Link text',
    lookalike: 'This domain imitates {domain} ({name}).',
    userinfo: 'The part before "@" is not the destination; the real destination follows the "@".',
    'server.none': 'No Kensa server is set up: only what this device can tell is shown.',
    'server.error': 'Could not ask the Kensa server ({code}).',
    'server.checking': 'Kensa is opening the destination in an isolated browser to check it.',
    close: 'Close',
  },
};

/** t returns the text for key in lang (ja or en), with {name} filled in. */
export function t(lang, key, vars = {}) {
  const l = lang === 'en' ? 'en' : 'ja';
  const s = own[l][key] ?? contract.messages[l][key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');
}

/**
 * pickLang chooses the card's language from the page's: the lang of the
 * link's nearest element with one, else the document's, else the
 * browser's. Japanese unless it says English, like the pages.
 */
export function pickLang(...tags) {
  for (const tag of tags) {
    if (!tag) continue;
    const p = String(tag).trim().toLowerCase().split(/[-_]/)[0];
    if (p === 'ja') return 'ja';
    if (p === 'en') return 'en';
    if (p) return 'en'; // another language: English is the closer guess
  }
  return 'ja';
}
