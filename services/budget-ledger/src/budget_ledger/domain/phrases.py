"""What the ledger says when it refuses, in English and in Ukrainian (issue 21).

Every refusal's detail is `Phrase(key, **values)` of this catalogue; import `Phrase` from here, so
that whatever says one has registered its words. A key is a stable name (clients may log it); the
values are formatted as in English (amounts in kopiykas, ISO dates). Codes the law names in
Ukrainian (КЕКВ, КПКВКМБ) stay as they are in both.
"""

from __future__ import annotations

from ecity_common.phrases import Phrase, register

__all__ = ["Phrase"]

register({
    # what "not found" names (ecity_common.refusals.NotFound: "не знайдено: звернення r-1")
    "thing:budget holder": ("budget holder", "розпорядника коштів"),
    "thing:entry": ("entry", "запис"),
    "thing:expenditure proposal": ("expenditure proposal", "пропозицію видатків"),
    # budget codes (domain/codes.py, domain/programme.py)
    "tpkvkmb-digits": ("ТПКВКМБ is 4 digits, e.g. 7520", "ТПКВКМБ складається з 4 цифр, наприклад 7520"),
    "kfkvk-digits": ("КФКВК is 4 digits, e.g. 0460", "КФКВК складається з 4 цифр, наприклад 0460"),
    "kekv-digits": ("КЕКВ is 4 digits, e.g. 2240 or 3110", "КЕКВ складається з 4 цифр, наприклад 2240 або 3110"),
    "kekv-unknown": ("КЕКВ {code} is not in the economic classification of expenditure",
                     "КЕКВ {code} немає в економічній класифікації видатків"),
    "kpkvkmb-digits": ("КПКВКМБ is 7 digits: 2-digit holder code, 1-digit executor, 4-digit ТПКВКМБ",
                       "КПКВКМБ складається з 7 цифр: 2 цифри коду розпорядника, 1 цифра виконавця, 4 цифри ТПКВКМБ"),
    "kpkvkmb-executor": ("the 3rd digit of КПКВКМБ is the executor level, 1 or more (1 = the main holder)",
                         "третя цифра КПКВКМБ — рівень виконавця, 1 або більше (1 — головний розпорядник)"),
    "kpkvkmb-holder": ("КПКВКМБ must start with the holder's code {holder_code}",
                       "КПКВКМБ має починатися з коду розпорядника {holder_code}"),
    "holder-code-digits": ("a budget holder's code is 2 digits", "код розпорядника бюджетних коштів складається з 2 цифр"),
    "holder-not-in-programme": ("no budget holder {holder_code!r} in the programme",
                                "у програмі немає розпорядника бюджетних коштів {holder_code!r}"),
    "tpkvkmb-of-holder": ("must be the programme code of the holder's КПКВКМБ {kpkvkmb}",
                          "має бути кодом програми з КПКВКМБ розпорядника {kpkvkmb}"),
    "no-programme": ("no programme is loaded", "програму не завантажено"),
    "exists-with-other-content": ("{key!r} exists with other content", "{key!r} уже існує з іншим змістом"),
    # entries (domain/ledger.py, use_cases/posting.py)
    "measure-not-in-programme": ("no measure {measure_code!r} in the programme", "у програмі немає заходу {measure_code!r}"),
    "measure-of-other-holder": ("measure {measure_code} belongs to holder {holder_code}",
                                "захід {measure_code} належить розпоряднику {holder_code}"),
    "amount-positive": ("a positive number of kopiykas; the kind gives the direction",
                        "додатна кількість копійок; напрям визначає вид запису"),
    "amendment-direction": ("an amendment is an 'increase' or a 'decrease' of the plan",
                            "зміна плану — це його збільшення ('increase') або зменшення ('decrease')"),
    "direction-only-amendment": ("only an amendment has a direction", "напрям має лише зміна плану"),
    "reverses-only-reversal": ("only a reversal reverses an entry", "скасувати запис може лише сторнування"),
    "reversal-not-reversed": ("a reversal cannot itself be reversed; post the entry again instead",
                              "сторнування не можна сторнувати; натомість проведіть запис ще раз"),
    "reversal-names-entry": ("a reversal names the entry it reverses", "сторнування має зазначати запис, який воно скасовує"),
    "no-entry-to-reverse": ("no entry {entry_id!r} to reverse", "немає запису {entry_id!r} для сторнування"),
    "entry-of-closed-year": ("entry {entry_id!r} is in {year}, which is closed: post its reversal into an open year "
                             "(give year)",
                             "запис {entry_id!r} належить до {year} року, який закрито: проведіть його сторнування "
                             "у відкритому році (зазначте year)"),
    "year-closed": ("year {year} is closed: nothing more is posted into it",
                    "{year} рік закрито: до нього більше нічого не проводиться"),
    "financing-over-plan": ("financing {financed} kop would exceed the plan of {planned} kop for measure {measure_code} "
                            "in {year}; give override_reason to post it anyway",
                            "фінансування {financed} коп. перевищило б план {planned} коп. для заходу {measure_code} "
                            "у {year} році; щоб провести його попри це, зазначте override_reason"),
    "entry-recorded-otherwise": ("entry {entry_id!r} is already recorded with other content",
                                 "запис {entry_id!r} уже проведено з іншим змістом"),
    "entry-reversed-already": ("entry {entry_id!r} was already reversed", "запис {entry_id!r} уже сторновано"),
    "required-for-kind": ("required for a {kind}: {fields}", "обов'язкові для виду {kind}: {fields}"),
    "required": ("required", "обов'язкове поле"),
    # proposals and their approval (domain/proposals.py, use_cases/network_assets.py)
    "auto-approval-limit": ("a limit is 0 (every proposal waits for finance) or more kopiykas",
                            "ліміт — 0 (кожна пропозиція чекає на фінансовий відділ) або більше копійок"),
    "auto-approval-reason": ("say why the holder's proposals up to this amount need no one's approval",
                             "зазначте, чому пропозиції розпорядника до цієї суми не потребують нічийого погодження"),
    "rejection-reason": ("a rejection says why", "відхилення має містити причину"),
    "proposal-decided": ("proposal {proposal_id!r} was already {outcome} by {decided_by}",
                         "пропозицію {proposal_id!r} уже розглянуто ({outcome}): {decided_by}"),
    "asset-proposed-otherwise": ("asset {asset_id!r} was proposed before with other content (cost, measure or date)",
                                 "об'єкт {asset_id!r} уже пропонувався з іншим змістом (вартість, захід або дата)"),
    # reports, imports and the chain
    "to-year-before-from": ("must not be before from_year", "не може бути раніше за from_year"),
    "import-not-an-amount": ("{text!r} is not an amount in hryvnias", "{text!r} — не сума в гривнях"),
    "import-amount-at-most": ("{text!r}: at most {most:,} hryvnias", "{text!r}: щонайбільше {most:,} гривень"),
    "import-amount-decimals": ("{text!r}: a non-negative amount with at most two decimals",
                               "{text!r}: невід'ємна сума, не більше двох знаків після коми"),
    "import-no-year": ("{text!r}: no year in it (e.g. 2021-12 or 01.12.2021)",
                       "{text!r}: у ньому немає року (наприклад, 2021-12 або 01.12.2021)"),
    "import-not-windows-1251": ("not windows-1251 text", "це не текст у кодуванні windows-1251"),
    "import-missing-column": ("missing column", "стовпця немає"),
    "import-fund": ("{fund!r}: general/special (загальний/спеціальний, 1/2)",
                    "{fund!r}: загальний/спеціальний (general/special, 1/2)"),
    "import-no-measure": ("no measure of the programme for КПКВКМБ {kpkvkmb}, КЕКВ {kekv}{fund}",
                          "у програмі немає заходу для КПКВКМБ {kpkvkmb}, КЕКВ {kekv}{fund}"),
    "import-measures": ("{count} measures of the programme for КПКВКМБ {kpkvkmb}, КЕКВ {kekv}{fund}",
                        "у програмі кілька заходів ({count}) для КПКВКМБ {kpkvkmb}, КЕКВ {kekv}{fund}"),
    "import-of-fund": (", fund {fund}", ", фонд {fund}"),
    "import-financed-less": ("financed is less than already recorded: post a reversal instead",
                             "профінансовано менше, ніж уже проведено: натомість проведіть сторнування"),
    "import-refused": ("{count} problem(s); nothing was imported", "помилок: {count}; нічого не імпортовано"),
    "verification-busy": ("the ledger is being verified for someone else; try again in a few seconds",
                          "реєстр зараз перевіряється для іншого запиту; спробуйте знову за кілька секунд"),
    "no-signing-key": ("no signing key is configured (BUDGET_LEDGER_ANCHOR_SIGNING_KEY_FILE)",
                       "ключ підпису не налаштовано (BUDGET_LEDGER_ANCHOR_SIGNING_KEY_FILE)"),
    "head-does-not-hold": ("the last signed head ({signed_at}) does not hold: {why}; nothing is signed until this is "
                           "looked into (GET /api/v1/ledger/verify)",
                           "останній підписаний стан ланцюга ({signed_at}) не підтверджується: {why}; нічого не "
                           "підписується, доки це не з'ясовано (GET /api/v1/ledger/verify)"),
    "chain-broken": ("the chain is broken at entry {entry_id!r} ({problem}); nothing is signed until this is looked into",
                     "ланцюг порушено на записі {entry_id!r} ({problem}); нічого не підписується, доки це не з'ясовано"),
})
