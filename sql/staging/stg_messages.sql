-- grain: one message of the message catalogue (schemas/messages.csv): a sentence said to a person, in Vietnamese and English
-- unique: message_id
-- not_null: message_id, vi, en
with source as (
    select * from ref_messages
),

final as (
    select
        message_id,
        vi,
        en
    from source
)

select * from final
