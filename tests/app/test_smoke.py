from tests.conftest import buyer_officer, count_rows, post_form, provider_user, sign_in


async def test_provider_registers_and_reaches_account(client, platform):
    response = await post_form(
        client,
        "/register",
        {
            "organisation_name": "Trent Valley Home Care Ltd",
            "cqc_provider_id": "",
            "contact_name": "Sam Patel",
            "email": "Sam@TrentValley-care.example",
            "password": "a long passphrase of words",
        },
        page="/register",
    )
    assert response.status_code == 303
    page = await client.get("/account")
    assert page.status_code == 200
    assert "Signed in as" in page.text
    assert "Trent Valley Home Care Ltd" in page.text


async def test_officer_signs_in_and_sees_users(client, platform):
    await buyer_officer(platform)
    await provider_user(platform)
    await sign_in(client, "priya.shah@staffordshire.example")
    page = await client.get("/organisation/users")
    assert page.status_code == 200
    assert "priya.shah@staffordshire.example" in page.text
    assert "helen@" not in page.text
    rows = await count_rows()
    assert rows["app_user"] == 2
