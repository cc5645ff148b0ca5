/** The strings of the rarely used tools, in this chunk only (the panel's language chunks stay small). */
export interface AwayStrings {
  askEmail: string;
  email: string;
  save: string;
  badEmail: string;
  saved: string;
  transcript: string;
  transcriptSent: (to: string) => string;
  failed: string;
  rate: string;
  score: (n: number) => string;
  comment: string;
  sendRating: string;
  thanks: string;
}

const en: AwayStrings = {
  askEmail: "Leave your email and we'll send the reply there if you've gone.",
  email: 'Email',
  save: 'Save',
  badEmail: 'Enter an address like name@example.com.',
  saved: "Thanks! We'll email you if you've left.",
  transcript: 'Email transcript',
  transcriptSent: (to) => `Transcript sent to ${to}.`,
  failed: "That didn't work. Try again later.",
  rate: 'Rate this conversation',
  score: (n) => `${n} of 5`,
  comment: 'Comment (optional)',
  sendRating: 'Send rating',
  thanks: 'Thanks for your rating!',
};

const LOCALES: Record<string, AwayStrings> = {
  en,
  de: {
    askEmail: 'Hinterlassen Sie Ihre E-Mail, dann schicken wir die Antwort dorthin, falls Sie nicht mehr da sind.',
    email: 'E-Mail',
    save: 'Speichern',
    badEmail: 'Geben Sie eine Adresse wie name@example.com ein.',
    saved: 'Danke! Wir schreiben Ihnen, falls Sie nicht mehr da sind.',
    transcript: 'Verlauf per E-Mail',
    transcriptSent: (to) => `Verlauf an ${to} gesendet.`,
    failed: 'Das hat nicht geklappt. Bitte später erneut versuchen.',
    rate: 'Gespräch bewerten',
    score: (n) => `${n} von 5`,
    comment: 'Kommentar (optional)',
    sendRating: 'Bewertung senden',
    thanks: 'Danke für Ihre Bewertung!',
  },
  fr: {
    askEmail: 'Laissez votre e-mail : nous y enverrons la réponse si vous êtes parti.',
    email: 'E-mail',
    save: 'Enregistrer',
    badEmail: 'Saisissez une adresse comme nom@exemple.com.',
    saved: 'Merci ! Nous vous écrirons si vous êtes parti.',
    transcript: 'Recevoir la conversation par e-mail',
    transcriptSent: (to) => `Conversation envoyée à ${to}.`,
    failed: 'Cela n’a pas fonctionné. Réessayez plus tard.',
    rate: 'Évaluer cette conversation',
    score: (n) => `${n} sur 5`,
    comment: 'Commentaire (facultatif)',
    sendRating: 'Envoyer la note',
    thanks: 'Merci pour votre note !',
  },
  es: {
    askEmail: 'Deja tu correo y te enviaremos la respuesta allí si ya te has ido.',
    email: 'Correo electrónico',
    save: 'Guardar',
    badEmail: 'Escribe una dirección como nombre@ejemplo.com.',
    saved: '¡Gracias! Te escribiremos si te has ido.',
    transcript: 'Enviar transcripción por correo',
    transcriptSent: (to) => `Transcripción enviada a ${to}.`,
    failed: 'No funcionó. Inténtalo más tarde.',
    rate: 'Valora esta conversación',
    score: (n) => `${n} de 5`,
    comment: 'Comentario (opcional)',
    sendRating: 'Enviar valoración',
    thanks: '¡Gracias por tu valoración!',
  },
  pt: {
    askEmail: 'Deixe seu e-mail e enviaremos a resposta para lá se você tiver saído.',
    email: 'E-mail',
    save: 'Salvar',
    badEmail: 'Digite um endereço como nome@exemplo.com.',
    saved: 'Obrigado! Escreveremos para você se tiver saído.',
    transcript: 'Enviar transcrição por e-mail',
    transcriptSent: (to) => `Transcrição enviada para ${to}.`,
    failed: 'Não funcionou. Tente novamente mais tarde.',
    rate: 'Avalie esta conversa',
    score: (n) => `${n} de 5`,
    comment: 'Comentário (opcional)',
    sendRating: 'Enviar avaliação',
    thanks: 'Obrigado pela avaliação!',
  },
  ja: {
    askEmail: 'メールアドレスを残していただければ、離れていても返信をお送りします。',
    email: 'メールアドレス',
    save: '保存',
    badEmail: 'name@example.com のような形式で入力してください。',
    saved: 'ありがとうございます。離れている場合はメールでお知らせします。',
    transcript: '会話をメールで受け取る',
    transcriptSent: (to) => `${to} に会話を送信しました。`,
    failed: 'うまくいきませんでした。後でもう一度お試しください。',
    rate: 'この会話を評価',
    score: (n) => `5 段階中 ${n}`,
    comment: 'コメント（任意）',
    sendRating: '評価を送信',
    thanks: '評価ありがとうございます！',
  },
  ar: {
    askEmail: 'اترك بريدك الإلكتروني وسنرسل الرد إليه إذا غادرت.',
    email: 'البريد الإلكتروني',
    save: 'حفظ',
    badEmail: 'أدخل عنوانًا مثل name@example.com.',
    saved: 'شكرًا! سنراسلك إذا غادرت.',
    transcript: 'إرسال المحادثة بالبريد',
    transcriptSent: (to) => `أُرسلت المحادثة إلى ${to}.`,
    failed: 'لم ينجح ذلك. حاول لاحقًا.',
    rate: 'قيّم هذه المحادثة',
    score: (n) => `${n} من 5`,
    comment: 'تعليق (اختياري)',
    sendRating: 'إرسال التقييم',
    thanks: 'شكرًا على تقييمك!',
  },
  he: {
    askEmail: 'השאירו אימייל ונשלח אליו את התשובה אם כבר לא תהיו כאן.',
    email: 'אימייל',
    save: 'שמירה',
    badEmail: 'הזינו כתובת כמו name@example.com.',
    saved: 'תודה! נכתוב לכם אם כבר לא תהיו כאן.',
    transcript: 'שליחת השיחה באימייל',
    transcriptSent: (to) => `השיחה נשלחה אל ${to}.`,
    failed: 'זה לא הצליח. נסו שוב מאוחר יותר.',
    rate: 'דרגו את השיחה',
    score: (n) => `${n} מתוך 5`,
    comment: 'הערה (לא חובה)',
    sendRating: 'שליחת דירוג',
    thanks: 'תודה על הדירוג!',
  },
};

export const awayStrings = (lang: string): AwayStrings => LOCALES[lang] ?? en;
