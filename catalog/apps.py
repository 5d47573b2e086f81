from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from catalog.cache import bump_version
        from catalog.models import Category, Ingredient, Product, SkinConcern, Stock

        # Whatever writes these rows (admin, services, seeds), the shared storefront follows.
        for model in (Category, Product, Stock, Ingredient, SkinConcern):
            for signal in (post_save, post_delete):
                signal.connect(
                    bump_version,
                    sender=model,
                    dispatch_uid=f"catalog.bump_version.{signal}.{model.__name__}",
                )
        for through in (Product.key_ingredients.through, Product.skin_concerns.through):
            m2m_changed.connect(
                bump_version, sender=through, dispatch_uid=f"catalog.bump_version.{through}"
            )
