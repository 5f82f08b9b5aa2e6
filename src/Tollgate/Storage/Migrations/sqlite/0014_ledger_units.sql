-- The billed units of a unit-priced attempt (speech, images, OCR, transcription, video), each in its
-- own column; NULL for what the attempt was not billed in (token-billed chat leaves them all NULL).
-- Seconds are exact decimals kept as text, as money is kept exact: SQLite's REAL would round them.
ALTER TABLE ledger ADD COLUMN unit_characters INTEGER NULL;
ALTER TABLE ledger ADD COLUMN unit_images INTEGER NULL;
ALTER TABLE ledger ADD COLUMN unit_image_variant TEXT NULL;
ALTER TABLE ledger ADD COLUMN unit_pages INTEGER NULL;
ALTER TABLE ledger ADD COLUMN unit_audio_seconds TEXT NULL;
ALTER TABLE ledger ADD COLUMN unit_video_seconds TEXT NULL;
ALTER TABLE ledger ADD COLUMN unit_video_variant TEXT NULL;
