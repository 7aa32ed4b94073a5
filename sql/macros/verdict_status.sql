-- What a verdict word in a result or percentage cell says about its target (VERDICT_WORDS of
-- flows/parse/values.py): 'met' (Đạt, Vượt, Hoàn thành, Đảm bảo, Giữ vững, Duy trì, Ổn định),
-- 'not_met' (Không/Chưa đạt, Không/Chưa hoàn thành), 'hedged' ("Cơ bản ...": basically, which
-- says neither), NULL for any other text. A test holds every verdict word to a status.
create or replace macro verdict_status(t) as
    case
        when t is null then null
        when regexp_matches(lower(trim(nfc_normalize(t), ' .;:!-–')),
                            '^(không|chưa) (đạt|hoàn thành)($|[^\p{L}])') then 'not_met'
        when regexp_matches(lower(trim(nfc_normalize(t), ' .;:!-–')),
                            '^cơ bản (đạt|hoàn thành|đảm bảo)($|[^\p{L}])') then 'hedged'
        when regexp_matches(lower(trim(nfc_normalize(t), ' .;:!-–')),
                            '^(đạt|vượt|hoàn thành|đảm bảo|bảo đảm|giữ vững|duy trì|ổn định)($|[^\p{L}])') then 'met'
    end;
