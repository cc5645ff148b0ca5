import sharp from 'sharp';

/** Pixels an uploaded image may have (decompression bombs): 40 megapixels, e.g. 8000 x 5000. */
export const MAX_IMAGE_PIXELS = 40_000_000;
/** The longest side of a thumbnail. */
export const THUMB_SIZE = 320;

export interface Reencoded {
  data: Buffer;
  thumb: Buffer;
  width: number;
  height: number;
}

const FORMATS = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/gif': 'gif', 'image/webp': 'webp' } as const;

/**
 * Decodes the image and encodes it again in its own format: whatever else the file carried (a script appended after
 * the image data, EXIF with GPS position, comments, ICC tricks) is gone, because only pixels survive. Auto-rotated
 * from EXIF first, so stripping the orientation does not turn photos sideways. Throws on anything sharp cannot
 * decode or over `MAX_IMAGE_PIXELS`.
 */
export async function reencodeImage(path: string, type: keyof typeof FORMATS): Promise<Reencoded> {
  const animated = type === 'image/gif' || type === 'image/webp';
  const input = { limitInputPixels: MAX_IMAGE_PIXELS, animated, failOn: 'error' } as const;
  const data = await sharp(path, input).rotate().toFormat(FORMATS[type]).toBuffer();
  const meta = await sharp(data, { animated }).metadata();
  const thumb = await sharp(path, { ...input, animated: false })
    .rotate()
    .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80 })
    .toBuffer();
  return { data, thumb, width: meta.width ?? 0, height: meta.pageHeight ?? meta.height ?? 0 };
}

export function isImageType(type: string): type is keyof typeof FORMATS {
  return type in FORMATS;
}
