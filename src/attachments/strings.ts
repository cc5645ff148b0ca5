/** The attachment UI's words, per widget locale; kept in the lazy chunk, not in the panel's locale files. */
export interface AttachmentStrings {
  attach: string;
  remove: string;
  tooLarge: string;
  notAllowed: string;
  uploading: string;
  failed: string;
}

const STRINGS: Record<string, AttachmentStrings> = {
  en: {
    attach: 'Attach a file',
    remove: 'Remove',
    tooLarge: 'This file is too large.',
    notAllowed: 'This type of file is not allowed.',
    uploading: 'Uploading…',
    failed: 'The file could not be sent.',
  },
  de: {
    attach: 'Datei anhängen',
    remove: 'Entfernen',
    tooLarge: 'Diese Datei ist zu groß.',
    notAllowed: 'Dieser Dateityp ist nicht erlaubt.',
    uploading: 'Wird hochgeladen…',
    failed: 'Die Datei konnte nicht gesendet werden.',
  },
  es: {
    attach: 'Adjuntar un archivo',
    remove: 'Quitar',
    tooLarge: 'Este archivo es demasiado grande.',
    notAllowed: 'Este tipo de archivo no está permitido.',
    uploading: 'Subiendo…',
    failed: 'No se pudo enviar el archivo.',
  },
  fr: {
    attach: 'Joindre un fichier',
    remove: 'Retirer',
    tooLarge: 'Ce fichier est trop volumineux.',
    notAllowed: 'Ce type de fichier n’est pas autorisé.',
    uploading: 'Envoi en cours…',
    failed: 'Le fichier n’a pas pu être envoyé.',
  },
  pt: {
    attach: 'Anexar um arquivo',
    remove: 'Remover',
    tooLarge: 'Este arquivo é grande demais.',
    notAllowed: 'Este tipo de arquivo não é permitido.',
    uploading: 'Enviando…',
    failed: 'Não foi possível enviar o arquivo.',
  },
  ja: {
    attach: 'ファイルを添付',
    remove: '削除',
    tooLarge: 'ファイルが大きすぎます。',
    notAllowed: 'この種類のファイルは送信できません。',
    uploading: 'アップロード中…',
    failed: 'ファイルを送信できませんでした。',
  },
  ar: {
    attach: 'إرفاق ملف',
    remove: 'إزالة',
    tooLarge: 'هذا الملف كبير جدًا.',
    notAllowed: 'هذا النوع من الملفات غير مسموح به.',
    uploading: 'جارٍ الرفع…',
    failed: 'تعذر إرسال الملف.',
  },
  he: {
    attach: 'צירוף קובץ',
    remove: 'הסרה',
    tooLarge: 'הקובץ גדול מדי.',
    notAllowed: 'סוג קובץ זה אינו מותר.',
    uploading: 'מעלה…',
    failed: 'לא ניתן היה לשלוח את הקובץ.',
  },
};

export function attachmentStrings(locale: string): AttachmentStrings {
  return STRINGS[locale] ?? STRINGS[locale.split('-')[0]!] ?? STRINGS.en!;
}

/** The visitor-facing words for an upload refusal. */
export function refusalText(code: string, s: AttachmentStrings): string {
  if (code === 'file_too_large') return s.tooLarge;
  if (code === 'file_type_refused') return s.notAllowed;
  return s.failed;
}
