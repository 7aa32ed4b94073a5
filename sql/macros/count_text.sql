-- A count as an official reads it, against the base of units it counted: "27 of 30 pre-2020
-- communes"; any other figure as figure_text. base_label names the base ("pre-2020 communes").
create or replace macro count_text(x, count_base, base_label) as
    case
        when x is null then null
        when count_base is null then figure_text(x)
        else figure_text(x::double) || ' of ' || figure_text(count_base::double) || ' ' || base_label
    end;
