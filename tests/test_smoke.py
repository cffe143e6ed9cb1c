def test_demo_parent_sees_own_children_only(client, login_as, world):
    login_as("parent")
    page = client.get("/home").get_data(as_text=True)
    assert "Sem de Vries" in page and "Emma de Vries" in page
    assert "Noah" not in page
