-- The billed units of a unit-priced attempt (speech, images, OCR, transcription, video), each in its
-- own column; NULL for what the attempt was not billed in (token-billed chat leaves them all NULL).
-- Nullable columns without defaults: adding them rewrites nothing, however large the ledger.
ALTER TABLE ledger
    ADD COLUMN unit_characters BIGINT NULL,
    ADD COLUMN unit_images BIGINT NULL,
    ADD COLUMN unit_image_variant TEXT NULL,
    ADD COLUMN unit_pages BIGINT NULL,
    ADD COLUMN unit_audio_seconds NUMERIC NULL,
    ADD COLUMN unit_video_seconds NUMERIC NULL,
    ADD COLUMN unit_video_variant TEXT NULL;
